using AlsAnalyzer.Core.Analysis;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>TCP connection tracking shared across streams: one budget, given back when connections and streams end.</summary>
public sealed class TcpConnectionBudgetTests
{
    [Fact]
    public void Tracker_BudgetFull_StreamForgetsItsOwnOldest()
    {
        var budget = new TcpConnectionBudget(2);
        using var stream = new TcpConnectionTracker(budget: budget);
        stream.Observe(1, closed: false, 100, 10);
        stream.Observe(2, closed: false, 100, 10);

        var third = stream.Observe(3, closed: false, 100, 10);

        Assert.True(third.Opened);
        Assert.Equal(2, stream.Open);
        Assert.Equal(1, stream.Evicted);
        Assert.Equal(2, budget.Held);

        // Connection 1 was forgotten: its next entry counts it as first seen again.
        Assert.True(stream.Observe(1, closed: false, 150, 10).Opened);
    }

    [Fact]
    public void Tracker_BudgetFullAndStreamHoldsNone_NotTrackedAndCounted()
    {
        var budget = new TcpConnectionBudget(1);
        using var busy = new TcpConnectionTracker(budget: budget);
        using var other = new TcpConnectionTracker(budget: budget);
        busy.Observe(1, closed: false, 100, 10);

        var periodic = other.Observe(7, closed: false, 500, 50);
        var final = other.Observe(7, closed: true, 900, 90);

        Assert.Equal((0UL, 0UL, false, false), periodic);
        Assert.Equal((900UL, 90UL, true, true), final);
        Assert.Equal(1, budget.Refused);
        Assert.Equal(1, budget.Held);
    }

    [Fact]
    public void Tracker_ConnectionsCloseAndStreamEnds_SlotsGivenBack()
    {
        var budget = new TcpConnectionBudget(10);
        var stream = new TcpConnectionTracker(budget: budget);
        stream.Observe(1, closed: false, 1, 1);
        stream.Observe(2, closed: false, 1, 1);
        stream.Observe(3, closed: false, 1, 1);
        stream.Observe(2, closed: true, 2, 2);
        Assert.Equal(2, budget.Held);

        stream.Dispose();

        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void Tracker_PerStreamCapacity_EvictionGivesSlotBack()
    {
        var budget = new TcpConnectionBudget(100);
        using var stream = new TcpConnectionTracker(capacity: 2, budget: budget);

        for (ulong key = 1; key <= 5; key++)
        {
            stream.Observe(key, closed: false, 1, 1);
        }

        Assert.Equal(2, stream.Open);
        Assert.Equal(2, budget.Held);
    }
}

using System.Reflection;
using System.Text;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Decoding;

/// <summary>A lookup that misses while another add holds the table's write lock does not wait for it.</summary>
public sealed class ByteKeyTableWriteLockTests
{
    // Guards against a hang only; no test asserts on time.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public void GetOrAdd_WriteLockHeldByAnotherThread_ReturnsNewValueWithoutKeepingIt()
    {
        // Arrange: another thread holds the write lock (as an add or a grow in progress would).
        var table = new ByteKeyTable<string>(100);
        var writeLock = (Lock)typeof(ByteKeyTable<string>).GetField("_writeLock", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(table)!;
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            writeLock.Enter();
            held.Set();
            release.Wait(Hang);
            writeLock.Exit();
        });
        holder.Start();
        Assert.True(held.Wait(Hang, TestContext.Current.CancellationToken));

        // Act
        string? value = null;
        var lookup = new Thread(() => value = table.GetOrAdd("10.244.0.7"u8, b => Encoding.ASCII.GetString(b)));
        lookup.Start();
        var returned = lookup.Join(Hang);
        var countWhileHeld = table.Count;
        release.Set();
        holder.Join();
        var kept = table.GetOrAdd("10.244.0.7"u8, b => Encoding.ASCII.GetString(b));

        // Assert: the value came back while the lock was held, unkept; the next sight keeps it.
        Assert.True(returned, "the lookup waited for the write lock");
        Assert.Equal("10.244.0.7", value);
        Assert.Equal(0, countWhileHeld);
        Assert.Equal(1, table.Count);
        Assert.Same(kept, table.GetOrAdd("10.244.0.7"u8, _ => throw new InvalidOperationException("kept")));
    }
}

using System.Reflection;
using System.Text;
using AlsAnalyzer.Core.Decoding;

namespace AlsAnalyzer.Core.Tests.Decoding;

/// <summary>
/// <see cref="ByteKeyTable{TValue}"/>'s byte estimate against what the runtime really allocates:
/// the slot array at its real length, the long keys' arrays, and the peak of a growth (the old
/// and the doubled slot array at once).
/// </summary>
public sealed class ByteKeyTableMemoryTests
{
    [Theory]
    [InlineData(20_000)]
    [InlineData(50_000)]
    [InlineData(300_000)]
    [InlineData(2_000_000)]
    public void GetOrAdd_KeysPastTheByteCap_NoAddsPeakAllocationPassesTheCap(long cap)
    {
        // Arrange: short and long keys (one in 4 kept in its own array), values made beforehand.
        // A first table takes the same adds unmeasured: a CI run once counted 5.7 KB more than
        // the doubled slot array on one growth, which the table does not allocate; the runtime's
        // first-time work on this thread (first calls, the growth loop's compilation) is done here.
        var keys = Keys(20_000);
        var value = "v";
        var warm = new ByteKeyTable<string>(1_000_000, cap);
        foreach (var key in keys)
        {
            warm.GetOrAdd(key, value);
        }

        var table = new ByteKeyTable<string>(1_000_000, cap);
        var growths = 0;

        foreach (var key in keys)
        {
            var before = table.Bytes;
            var slotsBefore = table.SlotCount;
            var resets = table.Resets;

            // Act
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            table.GetOrAdd(key, value);
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

            // Assert: what the add allocated (a doubled slot array while the old one is still
            // held, a long key's copy) on top of what the table held stays within the cap.
            if (table.Resets == resets)
            {
                Assert.True(before + allocated <= cap, $"held {before} + allocated {allocated} > cap {cap}");
                growths += table.SlotCount > slotsBefore ? 1 : 0;
            }

            Assert.True(table.Bytes <= cap, $"held {table.Bytes} > cap {cap}");
        }

        Assert.True(table.Resets > 0);
        Assert.True(growths > 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(1_000)]
    [InlineData(5_000)]
    public void Bytes_AfterAdds_CoverTheRealSlotArrayAndKeyArrays(int count)
    {
        // Arrange
        var table = new ByteKeyTable<string>(1_000_000);
        var keys = Keys(count);

        // Act
        foreach (var key in keys)
        {
            table.GetOrAdd(key, "v");
        }

        // Assert: the real bytes of an array of the table's slot type and length, and of the long keys' copies.
        // (Array.CreateInstance allocates a little of its own: an empty array's call, less the empty array, is taken off.)
        var real = AllocatedBy(() => NewSlotArray(table.SlotCount)) - AllocatedBy(() => NewSlotArray(0)) + EmptyArrayBytes;
        foreach (var key in keys.Where(k => k.Length > ShortBytes.Max))
        {
            real += AllocatedBy(() => key.ToArray());
        }

        Assert.Equal(count, table.Count);
        Assert.True(table.SlotCount >= 2 * count);
        Assert.True(table.Bytes >= real, $"estimated {table.Bytes} < real {real}");
    }

    // An empty array on 64-bit: object header, method table, length.
    private const int EmptyArrayBytes = 24;

    private static List<byte[]> Keys(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes(i % 4 == 0 ? $"/api/v1/resource/{i}/with/a/longer/path" : $"10.0.{i / 250}.{i % 250}"))];

    private static Array NewSlotArray(int length)
    {
        var slot = typeof(ByteKeyTable<>).GetNestedType("Slot", BindingFlags.NonPublic)!.MakeGenericType(typeof(string));
        return Array.CreateInstance(slot, length);
    }

    private static long AllocatedBy(Func<object> make)
    {
        GC.KeepAlive(make()); // once, so that a first call's own allocations are not counted
        var before = GC.GetAllocatedBytesForCurrentThread();
        var made = make();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(made);
        return allocated;
    }
}

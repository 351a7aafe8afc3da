using System.Reflection;
using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Ingest;

namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>
/// The ingest pipelines to benchmark, by name. Every implementation of
/// <see cref="IAccessLogPipeline"/> in AlsAnalyzer.Core with the constructor
/// <c>(EntryAnalyzer, Aggregator, TimeProvider, [optional parameters])</c> is found by reflection
/// and named after its type (<c>ReferencePipeline</c> -> <c>reference</c>, <c>AnalyzePipeline</c> -> <c>fast</c>), so a
/// new pipeline is benchmarked without a change here. The explicit list below takes
/// precedence and is checked by the compiler.
/// </summary>
internal static class PipelineRegistry
{
    private static readonly Dictionary<string, Func<EntryAnalyzer, Aggregator, TimeProvider, IAccessLogPipeline>> Explicit = new(StringComparer.Ordinal)
    {
        [IngestOptions.Reference] = (analyzer, aggregator, time) => new ReferencePipeline(analyzer, aggregator, time),
        [IngestOptions.Analyze] = (analyzer, aggregator, time) => new AnalyzePipeline(analyzer, aggregator, time),

        // >>> A further pipeline: one line here (or nothing: reflection finds it by its constructor).
    };

    private static readonly Lazy<IReadOnlyDictionary<string, Func<EntryAnalyzer, Aggregator, TimeProvider, IAccessLogPipeline>>> All = new(Discover);

    /// <summary>Every pipeline name, <c>reference</c> first.</summary>
    public static IReadOnlyList<string> Names =>
        [.. All.Value.Keys.OrderBy(n => n == IngestOptions.Reference ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal)];

    public static IAccessLogPipeline Create(string name, EntryAnalyzer analyzer, Aggregator aggregator, TimeProvider time) =>
        All.Value.TryGetValue(name, out var create)
            ? create(analyzer, aggregator, time)
            : throw new ArgumentException($"unknown pipeline '{name}' (known: {string.Join(", ", Names)})", nameof(name));

    private static Dictionary<string, Func<EntryAnalyzer, Aggregator, TimeProvider, IAccessLogPipeline>> Discover()
    {
        var all = new Dictionary<string, Func<EntryAnalyzer, Aggregator, TimeProvider, IAccessLogPipeline>>(Explicit, StringComparer.Ordinal);
        foreach (var type in typeof(IAccessLogPipeline).Assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(IAccessLogPipeline).IsAssignableFrom(type))
            {
                continue;
            }

            foreach (var constructor in type.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var parameters = constructor.GetParameters();
                if (parameters.Length < 3
                    || parameters[0].ParameterType != typeof(EntryAnalyzer)
                    || parameters[1].ParameterType != typeof(Aggregator)
                    || parameters[2].ParameterType != typeof(TimeProvider)
                    || parameters.Skip(3).Any(p => !p.HasDefaultValue))
                {
                    continue;
                }

                var defaults = parameters.Skip(3).Select(p => p.DefaultValue).ToArray();
                var name = type.Name.EndsWith("Pipeline", StringComparison.Ordinal) ? type.Name[..^"Pipeline".Length] : type.Name;
                all.TryAdd(
                    name.ToLowerInvariant(),
                    (analyzer, aggregator, time) => (IAccessLogPipeline)constructor.Invoke([analyzer, aggregator, time, .. defaults]));
                break;
            }
        }

        return all;
    }
}

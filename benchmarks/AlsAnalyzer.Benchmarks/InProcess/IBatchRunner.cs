namespace AlsAnalyzer.Benchmarks.InProcess;

/// <summary>One benchmarked variant, set up for one corpus.</summary>
internal interface IBatchRunner
{
    /// <summary>Processes every steady message of the benchmark corpus once (<see cref="BenchCorpus.EntriesPerBatch"/> entries).</summary>
    long RunBatch();

    /// <summary>Runs one batch outside the timed region and throws unless it did the whole work; describes what it did.</summary>
    string Verify();
}

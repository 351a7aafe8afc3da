namespace AlsAnalyzer.Server.Kubernetes;

/// <summary>What the cache reads of a watcher to say whether it is synced and fresh.</summary>
internal interface IWatcherState
{
    /// <summary>True once a full list completed.</summary>
    bool Synced { get; }

    /// <summary>False while the watcher is failing and backing off.</summary>
    bool Healthy { get; }

    /// <summary>When the watcher last heard from the API server successfully.</summary>
    DateTimeOffset? LastContact { get; }
}

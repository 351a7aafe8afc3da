namespace AlsAnalyzer.Core.Identity;

/// <summary>The canonical service rule shared by node metadata and peer metadata.</summary>
internal static class CanonicalName
{
    public const string CanonicalNameLabel = "service.istio.io/canonical-name";
    public const string CanonicalRevisionLabel = "service.istio.io/canonical-revision";
    public const string AppKubernetesNameLabel = "app.kubernetes.io/name";

    /// <summary>First non-empty of the candidates, in the order given.</summary>
    public static string FirstOf(string a, string b = "", string c = "", string d = "", string e = "")
    {
        if (a.Length > 0)
        {
            return a;
        }

        if (b.Length > 0)
        {
            return b;
        }

        if (c.Length > 0)
        {
            return c;
        }

        return d.Length > 0 ? d : e;
    }

    /// <summary>
    /// A workload name from a pod name when nothing better is known: drops the
    /// ReplicaSet hash and pod suffix of <c>reviews-v1-7f99cc4496-abcde</c>.
    /// </summary>
    public static string WorkloadFromPod(string pod)
    {
        var parts = pod.Split('-');
        if (parts.Length >= 3 && parts[^1].Length == 5 && parts[^2].Length is >= 8 and <= 10)
        {
            return string.Join('-', parts[..^2]);
        }

        return pod;
    }
}

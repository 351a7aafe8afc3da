using System.Net;
using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Server.Hosting;

/// <summary>Where the two endpoints listen: gRPC ingest (HTTP/2 only) and the HTTP API; TLS is in <c>SecurityOptions</c>.</summary>
internal sealed class EndpointOptions : ISettings
{
    public static string Section => "Endpoints";

    /// <summary>Address both endpoints listen on: <c>*</c> (all interfaces, IPv4 and IPv6) or an IP.</summary>
    public string ListenAddress { get; set; } = "*";

    /// <summary>gRPC ingest (HTTP/2 only, cleartext or TLS). 0 picks a free port.</summary>
    public int GrpcPort { get; set; } = 11800;

    /// <summary>HTTP API, health and /metrics (HTTP/1.1). 0 picks a free port.</summary>
    public int HttpPort { get; set; } = 8080;

    public void Validate(SettingErrors errors)
    {
        if (ListenAddress != "*" && !IPAddress.TryParse(ListenAddress, out _))
        {
            errors.Add($"Als:ListenAddress '{ListenAddress}' is neither '*' nor an IP address.");
        }

        errors.Port(nameof(GrpcPort), GrpcPort);
        errors.Port(nameof(HttpPort), HttpPort);
        if (GrpcPort != 0 && GrpcPort == HttpPort)
        {
            errors.Add($"Als:GrpcPort and Als:HttpPort are both {GrpcPort}; gRPC needs an HTTP/2-only endpoint of its own.");
        }
    }
}

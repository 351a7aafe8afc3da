namespace AlsAnalyzer.Core.Model;

internal enum TrafficProtocol : byte
{
    Http,
    Grpc,
    Tcp,
}

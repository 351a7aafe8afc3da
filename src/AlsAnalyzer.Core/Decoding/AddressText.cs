using Envoy.Config.Core.V3;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>Reads the IP out of an Envoy <c>Address</c>; pipes and internal addresses have none.</summary>
internal static class AddressText
{
    /// <summary>The socket address's IP (v4 or v6), or empty for pipes, internal addresses and absent ones.</summary>
    public static string Ip(Address? address) =>
        address is { AddressCase: Address.AddressOneofCase.SocketAddress } ? address.SocketAddress.Address : string.Empty;
}

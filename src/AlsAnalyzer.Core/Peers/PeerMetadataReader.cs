using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using AlsAnalyzer.Core.Identity;

namespace AlsAnalyzer.Core.Peers;

/// <summary>
/// Reads Istio metadata-exchange peer data from <c>filter_state_objects</c>, in both encodings
/// Istio has shipped: <c>upstream_peer</c>/<c>downstream_peer</c> as a
/// <c>google.protobuf.Struct</c> (Istio &gt;= 1.24), and <c>wasm.upstream_peer</c>/
/// <c>wasm.downstream_peer</c> as a <c>BytesValue</c> holding a FlatBuffers FlatNode (&lt;= 1.23).
/// </summary>
internal static class PeerMetadataReader
{
    public const string StructTypeUrl = "type.googleapis.com/google.protobuf.Struct";
    public const string BytesValueTypeUrl = "type.googleapis.com/google.protobuf.BytesValue";

    public static PeerDecodeStatus TryRead(MapField<string, Any>? filterState, PeerPosition position, out PeerInfo? peer)
    {
        peer = null;
        if (filterState is null || filterState.Count == 0)
        {
            return PeerDecodeStatus.Absent;
        }

        var (key, wasmKey) = position == PeerPosition.Upstream
            ? ("upstream_peer", "wasm.upstream_peer")
            : ("downstream_peer", "wasm.downstream_peer");

        var status = PeerDecodeStatus.Absent;
        if (filterState.TryGetValue(key, out var any))
        {
            status = Decode(any, out peer);
            if (status == PeerDecodeStatus.Decoded)
            {
                return status;
            }
        }

        if (filterState.TryGetValue(wasmKey, out var wasmAny))
        {
            var wasmStatus = Decode(wasmAny, out peer);
            if (wasmStatus == PeerDecodeStatus.Decoded || status == PeerDecodeStatus.Absent)
            {
                status = wasmStatus;
            }
        }

        return status;
    }

    private static PeerDecodeStatus Decode(Any any, out PeerInfo? peer)
    {
        peer = null;
        return any.TypeUrl switch
        {
            StructTypeUrl => DecodeStruct(any.Value.Span, out peer),
            BytesValueTypeUrl => DecodeFlatNode(any.Value.Span, out peer),
            _ => PeerDecodeStatus.UnknownType,
        };
    }

    /// <summary>A <c>google.protobuf.Struct</c> from an Any's value bytes, within <see cref="PeerBudget"/> (checked before parsing).</summary>
    internal static PeerDecodeStatus DecodeStruct(ReadOnlySpan<byte> value, out PeerInfo? peer)
    {
        peer = null;
        var budget = PeerBudget.CheckStruct(value);
        if (budget != PeerDecodeStatus.Decoded)
        {
            return budget;
        }

        try
        {
            peer = FromStruct(Struct.Parser.ParseFrom(value));
            return PeerDecodeStatus.Decoded;
        }
        catch (InvalidProtocolBufferException)
        {
            return PeerDecodeStatus.Invalid;
        }
    }

    /// <summary>A <c>BytesValue</c> holding a FlatNode from an Any's value bytes, within <see cref="PeerBudget"/>.</summary>
    internal static PeerDecodeStatus DecodeFlatNode(ReadOnlySpan<byte> value, out PeerInfo? peer)
    {
        peer = null;
        if (value.Length > PeerBudget.MaxBytes + 8)
        {
            // The FlatNode inside is larger than the budget: rejected before the copy.
            return PeerDecodeStatus.TooLarge;
        }

        try
        {
            var status = FlatNodeReader.Read(BytesValue.Parser.ParseFrom(value).Value.ToByteArray(), out var flat);
            peer = status == PeerDecodeStatus.Decoded ? flat : null;
            return status;
        }
        catch (InvalidProtocolBufferException)
        {
            return PeerDecodeStatus.Invalid;
        }
    }

    /// <summary>The lower-case keys Istio &gt;= 1.24 writes, with an optional nested <c>labels</c> Struct.</summary>
    internal static PeerInfo FromStruct(Struct s)
    {
        var labels = s.GetStruct("labels");
        var workload = s.GetString("workload");
        var gateway = false;
        if (labels is not null)
        {
            foreach (var (k, v) in labels.Fields)
            {
                gateway |= v.KindCase == Value.KindOneofCase.StringValue && PeerInfo.IsGatewayLabel(k, v.StringValue);
            }
        }

        return new PeerInfo
        {
            Namespace = s.GetString("namespace"),
            Instance = s.GetString("name"),
            Workload = workload,
            Cluster = s.GetString("cluster"),
            Service = PeerInfo.ServiceFrom(
                s.GetString("service"),
                labels.GetString(CanonicalName.CanonicalNameLabel),
                labels.GetString(CanonicalName.AppKubernetesNameLabel),
                CanonicalName.FirstOf(s.GetString("app"), labels.GetString("app")),
                workload),
            Version = CanonicalName.FirstOf(
                s.GetString("revision"),
                labels.GetString(CanonicalName.CanonicalRevisionLabel),
                s.GetString("version"),
                labels.GetString("version")),
            IsGateway = gateway,
        };
    }
}

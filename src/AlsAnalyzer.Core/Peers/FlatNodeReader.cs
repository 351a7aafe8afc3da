using Google.FlatBuffers;

namespace AlsAnalyzer.Core.Peers;

/// <summary>
/// Reads Istio's (&lt;= 1.23) <c>FlatNode</c> FlatBuffer, carried in a
/// <c>google.protobuf.BytesValue</c> under <c>wasm.upstream_peer</c>/<c>wasm.downstream_peer</c>.
/// Table fields in schema order: name, namespace, labels [KeyVal], owner, workload_name,
/// platform_metadata [KeyVal], istio_version, mesh_id, app_containers, cluster_id,
/// instance_ips, identity.
/// </summary>
internal static class FlatNodeReader
{
    private const int FieldName = 0;
    private const int FieldNamespace = 1;
    private const int FieldLabels = 2;
    private const int FieldWorkloadName = 4;
    private const int FieldClusterId = 9;

    /// <summary>Decodes a FlatNode; false when it is corrupt or over <see cref="PeerBudget"/>.</summary>
    public static bool TryRead(byte[] bytes, out PeerInfo peer) => Read(bytes, out peer) == PeerDecodeStatus.Decoded;

    /// <summary>
    /// Decodes a FlatNode within <see cref="PeerBudget"/>. Every offset is bounds-checked (by
    /// <see cref="ByteBuffer"/> and here); a truncated or corrupt buffer is
    /// <see cref="PeerDecodeStatus.Invalid"/> instead of throwing. Strings are read as bytes and
    /// only the five read values are decoded: label keys are compared as bytes, so a label
    /// whose strings all point at one long string costs one length check each.
    /// </summary>
    public static PeerDecodeStatus Read(byte[] bytes, out PeerInfo peer)
    {
        peer = null!;
        if (bytes.Length > PeerBudget.MaxBytes)
        {
            return PeerDecodeStatus.TooLarge;
        }

        if (bytes.Length < 8)
        {
            return PeerDecodeStatus.Invalid;
        }

        try
        {
            var bb = new ByteBuffer(bytes);
            var root = new Table(bb.GetInt(0), bb);
            if (root.bb_pos <= 0 || root.bb_pos >= bytes.Length)
            {
                return PeerDecodeStatus.Invalid;
            }

            var status = PeerDecodeStatus.Decoded;
            string ns = ReadString(root, FieldNamespace, bytes, ref status), pod = ReadString(root, FieldName, bytes, ref status);
            string workload = ReadString(root, FieldWorkloadName, bytes, ref status), cluster = ReadString(root, FieldClusterId, bytes, ref status);
            string canonical = string.Empty, appName = string.Empty, app = string.Empty;
            string revision = string.Empty, version = string.Empty;
            var gateway = false;

            var o = root.__offset(VtableOffset(FieldLabels));
            if (o != 0)
            {
                var count = root.__vector_len(o);
                if (count < 0)
                {
                    return PeerDecodeStatus.Invalid;
                }

                if (count > PeerBudget.MaxFields)
                {
                    return PeerDecodeStatus.TooManyFields;
                }

                var start = root.__vector(o);
                for (var i = 0; i < count && status == PeerDecodeStatus.Decoded; i++)
                {
                    var kv = new Table(root.__indirect(start + (i * 4)), bb);
                    var key = StringBytes(kv, 0, bytes, ref status);
                    var value = StringBytes(kv, 1, bytes, ref status);
                    if (key.SequenceEqual(CanonicalNameKey))
                    {
                        canonical = Decode(value);
                    }
                    else if (key.SequenceEqual(CanonicalRevisionKey))
                    {
                        revision = Decode(value);
                    }
                    else if (key.SequenceEqual(AppKubernetesNameKey))
                    {
                        appName = Decode(value);
                    }
                    else if (key.SequenceEqual("app"u8))
                    {
                        app = Decode(value);
                    }
                    else if (key.SequenceEqual("version"u8))
                    {
                        version = Decode(value);
                    }

                    gateway |= IsGatewayLabel(key, value);
                }
            }

            if (status != PeerDecodeStatus.Decoded)
            {
                return status;
            }

            peer = new PeerInfo
            {
                Namespace = ns,
                Instance = pod,
                Workload = workload,
                Cluster = cluster,
                Service = PeerInfo.ServiceFrom(string.Empty, canonical, appName, app, workload),
                Version = Identity.CanonicalName.FirstOf(revision, version),
                IsGateway = gateway,
            };
            return PeerDecodeStatus.Decoded;
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            // ByteBuffer signals an out-of-range offset or length with these; the peer is
            // then unknown and the caller counts the entry's metadata as invalid.
            return PeerDecodeStatus.Invalid;
        }
    }

    private static ReadOnlySpan<byte> CanonicalNameKey => "service.istio.io/canonical-name"u8;

    private static ReadOnlySpan<byte> CanonicalRevisionKey => "service.istio.io/canonical-revision"u8;

    private static ReadOnlySpan<byte> AppKubernetesNameKey => "app.kubernetes.io/name"u8;

    /// <summary>As <see cref="PeerInfo.IsGatewayLabel"/>, over bytes.</summary>
    private static bool IsGatewayLabel(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        (key.SequenceEqual("istio"u8) && (value.SequenceEqual("ingressgateway"u8) || value.SequenceEqual("egressgateway"u8)))
        || key.SequenceEqual("gateway.networking.k8s.io/gateway-name"u8)
        || key.SequenceEqual("gateway.istio.io/managed"u8);

    private static string Decode(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? string.Empty : System.Text.Encoding.UTF8.GetString(utf8);

    // vtable entries start after the two uint16 header fields (vtable size, table size).
    private static int VtableOffset(int field) => 4 + (field * 2);

    private static string ReadString(Table table, int field, byte[] bytes, ref PeerDecodeStatus status) => Decode(StringBytes(table, field, bytes, ref status));

    /// <summary>
    /// A string field's bytes, as <see cref="Table.__string"/> finds them (an offset to a
    /// length-prefixed UTF-8 run), checked against the buffer and the budget; empty when the
    /// field is absent or the status is already an error.
    /// </summary>
    private static ReadOnlySpan<byte> StringBytes(Table table, int field, byte[] bytes, ref PeerDecodeStatus status)
    {
        var o = table.__offset(VtableOffset(field));
        if (o == 0 || status != PeerDecodeStatus.Decoded)
        {
            return default;
        }

        var at = (long)o + table.bb_pos;
        if (at < 0 || at + 4 > bytes.Length)
        {
            status = PeerDecodeStatus.Invalid;
            return default;
        }

        at += table.bb.GetInt((int)at);
        if (at < 0 || at + 4 > bytes.Length)
        {
            status = PeerDecodeStatus.Invalid;
            return default;
        }

        var length = table.bb.GetInt((int)at);
        if (length < 0 || at + 4 + length > bytes.Length)
        {
            status = PeerDecodeStatus.Invalid;
            return default;
        }

        if (length > PeerBudget.MaxStringBytes)
        {
            status = PeerDecodeStatus.StringTooLong;
            return default;
        }

        return bytes.AsSpan((int)at + 4, length);
    }
}

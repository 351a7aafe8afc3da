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

    // A FlatNode from a real proxy has a few dozen labels; a larger count means garbage.
    private const int MaxLabels = 256;

    /// <summary>
    /// Decodes a FlatNode. Every offset is bounds-checked by <see cref="ByteBuffer"/>; a
    /// truncated or corrupt buffer returns false instead of throwing.
    /// </summary>
    public static bool TryRead(byte[] bytes, out PeerInfo peer)
    {
        peer = null!;
        if (bytes.Length < 8)
        {
            return false;
        }

        try
        {
            var bb = new ByteBuffer(bytes);
            var root = new Table(bb.GetInt(0), bb);
            if (root.bb_pos <= 0 || root.bb_pos >= bytes.Length)
            {
                return false;
            }

            string ns = ReadString(root, FieldNamespace), pod = ReadString(root, FieldName);
            string workload = ReadString(root, FieldWorkloadName), cluster = ReadString(root, FieldClusterId);
            string canonical = string.Empty, appName = string.Empty, app = string.Empty;
            string revision = string.Empty, version = string.Empty;
            var gateway = false;

            var o = root.__offset(VtableOffset(FieldLabels));
            if (o != 0)
            {
                var count = root.__vector_len(o);
                if (count < 0 || count > MaxLabels)
                {
                    return false;
                }

                var start = root.__vector(o);
                for (var i = 0; i < count; i++)
                {
                    var kv = new Table(root.__indirect(start + (i * 4)), bb);
                    var key = ReadString(kv, 0);
                    var value = ReadString(kv, 1);
                    switch (key)
                    {
                        case Identity.CanonicalName.CanonicalNameLabel: canonical = value; break;
                        case Identity.CanonicalName.CanonicalRevisionLabel: revision = value; break;
                        case Identity.CanonicalName.AppKubernetesNameLabel: appName = value; break;
                        case "app": app = value; break;
                        case "version": version = value; break;
                        default: break;
                    }

                    gateway |= PeerInfo.IsGatewayLabel(key, value);
                }
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
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            // ByteBuffer signals an out-of-range offset or length with these; the peer is
            // then unknown and the caller counts the entry's metadata as invalid.
            return false;
        }
    }

    // vtable entries start after the two uint16 header fields (vtable size, table size).
    private static int VtableOffset(int field) => 4 + (field * 2);

    private static string ReadString(Table table, int field)
    {
        var o = table.__offset(VtableOffset(field));
        return o == 0 ? string.Empty : table.__string(o + table.bb_pos) ?? string.Empty;
    }
}

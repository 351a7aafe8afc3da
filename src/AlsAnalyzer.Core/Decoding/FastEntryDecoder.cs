using System.Buffers;
using System.Globalization;
using System.Text;
using AlsAnalyzer.Core.Peers;
using Envoy.Data.Accesslog.V3;
using F = AlsAnalyzer.Core.Decoding.WireFields;

namespace AlsAnalyzer.Core.Decoding;

/// <summary>
/// Fills <see cref="EntryFacts"/> straight from an entry's bytes: it visits only the fields
/// the analysis reads and skips the rest, interns the strings that become keys, and finds
/// peer metadata in a cache. It must agree with <see cref="ReferenceFacts"/> on every valid
/// entry (a property test holds it to that). It is lenient where the reference is strict
/// about fields it never reads: garbage inside a skipped field is skipped too.
/// </summary>
internal sealed class FastEntryDecoder(InternTable strings, EndpointTable endpoints, ByteKeyTable<ParsedCluster> clusters, PeerCache peers)
{
    private const int MaxPathChars = 2048;

    private static ReadOnlySpan<byte> StructType => "type.googleapis.com/google.protobuf.Struct"u8;

    private static ReadOnlySpan<byte> BytesValueType => "type.googleapis.com/google.protobuf.BytesValue"u8;

    private static ReadOnlySpan<byte> ContentType => "content-type"u8;

    private static ReadOnlySpan<byte> GrpcStatusKey => "grpc-status"u8;

    private static ReadOnlySpan<byte> Spiffe => "spiffe://"u8;

    public bool DecodeHttp(ReadOnlySpan<byte> entry, bool decodePeers, out EntryFacts facts)
    {
        facts = EntryFacts.Empty();

        // Each occurrence of a message field is read as it comes and merged into the state, as
        // the generated parser merges a message field that appears more than once.
        var common = default(CommonState);
        var http = default(HttpParts);
        bool hasRequest = false, hasResponse = false;
        var version = 0;
        var r = new ProtoReader(entry);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.HttpEntry.CommonProperties && w == F.WireLength)
            {
                if (!Common(r.Bytes(), ref common, ref facts))
                {
                    return false;
                }
            }
            else if (f == F.HttpEntry.ProtocolVersion && w == F.WireVarint)
            {
                version = (int)r.Varint();
            }
            else if (f == F.HttpEntry.Request && w == F.WireLength)
            {
                hasRequest = true;
                if (!Request(r.Bytes(), ref http))
                {
                    return false;
                }
            }
            else if (f == F.HttpEntry.Response && w == F.WireLength)
            {
                hasResponse = true;
                if (!Response(r.Bytes(), ref http))
                {
                    return false;
                }
            }
            else
            {
                r.Skip(w, f);
            }
        }

        if (r.Failed)
        {
            return false;
        }

        if (!facts.HasCommon)
        {
            return true;
        }

        FinishCommon(ref common, decodePeers, tcp: false, ref facts);

        var path = http.Path;
        facts.Endpoint = hasRequest && !path.IsEmpty ? Endpoint(http.Method, path) : string.Empty;
        facts.AuthorityHost = HostOf(http.Authority);
        facts.StatusCode = (int)http.ResponseCode;
        facts.IsGrpc = (hasRequest && IsGrpcContentType(http.RequestContentType, http.HasRequestContentType))
            || (hasResponse && (IsGrpcContentType(http.ResponseContentType, http.HasResponseContentType) || http.HasTrailerGrpcStatus || http.HasHeaderGrpcStatus))
            || (hasRequest && version == (int)HTTPAccessLogEntry.Types.HTTPVersion.Http2 && http.Method == (int)Envoy.Config.Core.V3.RequestMethod.Post && LooksLikeGrpcPath(path));
        facts.GrpcStatus = facts.IsGrpc
            ? (http.HasTrailerGrpcStatus ? ParseInt(http.TrailerGrpcStatus) : http.HasHeaderGrpcStatus ? ParseInt(http.HeaderGrpcStatus) : -1)
            : -1;
        facts.RequestBytes = common.WireReceived > 0 ? (long)common.WireReceived : (long)(http.RequestHeadersBytes + http.RequestBodyBytes);
        facts.ResponseBytes = common.WireSent > 0 ? (long)common.WireSent : (long)(http.ResponseHeadersBytes + http.ResponseBodyBytes);
        return true;

        static int ParseInt(ReadOnlySpan<byte> utf8) => TryParseInt(utf8, out var v) ? v : -1;
    }

    public bool DecodeTcp(ReadOnlySpan<byte> entry, bool decodePeers, out EntryFacts facts)
    {
        facts = EntryFacts.Empty();
        var common = default(CommonState);
        ulong received = 0, sent = 0;
        var r = new ProtoReader(entry);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.TcpEntry.CommonProperties && w == F.WireLength)
            {
                if (!Common(r.Bytes(), ref common, ref facts))
                {
                    return false;
                }
            }
            else if (f == F.TcpEntry.ConnectionProperties && w == F.WireLength)
            {
                var c = new ProtoReader(r.Bytes());
                while (c.NextField(out var cf, out var cw))
                {
                    if (cf == F.ConnectionProperties.ReceivedBytes && cw == F.WireVarint)
                    {
                        received = c.Varint();
                    }
                    else if (cf == F.ConnectionProperties.SentBytes && cw == F.WireVarint)
                    {
                        sent = c.Varint();
                    }
                    else
                    {
                        c.Skip(cw, cf);
                    }
                }

                if (c.Failed)
                {
                    return false;
                }
            }
            else
            {
                r.Skip(w, f);
            }
        }

        if (r.Failed)
        {
            return false;
        }

        if (facts.HasCommon)
        {
            FinishCommon(ref common, decodePeers, tcp: true, ref facts);
            facts.TcpReceivedBytes = received;
            facts.TcpSentBytes = sent;
        }

        return true;
    }

    /// <summary>Reads one occurrence of <c>common_properties</c> into the facts and the state (see <see cref="FinishCommon"/>).</summary>
    private bool Common(ReadOnlySpan<byte> common, ref CommonState st, ref EntryFacts facts)
    {
        facts.HasCommon = true;
        var r = new ProtoReader(common);
        while (r.NextField(out var f, out var w))
        {
            if (w == F.WireLength)
            {
                var value = r.Bytes();
                switch (f)
                {
                    case F.Common.DownstreamRemoteAddress:
                        if (!Address(value, ref st.Remote))
                        {
                            return false;
                        }

                        break;
                    case F.Common.DownstreamLocalAddress:
                        if (!Address(value, ref st.Local))
                        {
                            return false;
                        }

                        break;
                    case F.Common.TlsProperties:
                        if (!Tls(value, ref facts))
                        {
                            return false;
                        }

                        break;
                    case F.Common.StartTime:
                        facts.HasStart = true;
                        if (!Time(value, ref facts.StartSeconds, ref facts.StartNanos))
                        {
                            return false;
                        }

                        break;
                    case F.Common.TimeToLastDownstreamTxByte:
                        st.HasTtl = true;
                        if (!Time(value, ref st.TtlSeconds, ref st.TtlNanos))
                        {
                            return false;
                        }

                        break;
                    case F.Common.UpstreamRemoteAddress:
                        facts.HasUpstreamRemote = true;
                        if (!Address(value, ref st.Upstream))
                        {
                            return false;
                        }

                        break;
                    case F.Common.UpstreamCluster:
                        facts.Cluster = value.IsEmpty ? ClusterNames.Empty : clusters.GetOrAdd(value, ParseCluster);
                        facts.UpstreamCluster = facts.Cluster.Name;
                        break;
                    case F.Common.ResponseFlags:
                        if (!Flags(value, ref facts.Flags))
                        {
                            return false;
                        }

                        break;
                    case F.Common.DownstreamDirectRemoteAddress:
                        if (!Address(value, ref st.Direct))
                        {
                            return false;
                        }

                        break;
                    case F.Common.FilterStateObjects:
                        if (!FilterState(value, ref st.Slots))
                        {
                            return false;
                        }

                        break;
                    case F.Common.Duration:
                        facts.HasDuration = true;
                        if (!Time(value, ref st.DurationSeconds, ref st.DurationNanos))
                        {
                            return false;
                        }

                        break;
                    case F.Common.StreamId:
                        st.StreamId = value;
                        break;
                    default:
                        break;
                }
            }
            else if (w == F.WireVarint)
            {
                var value = r.Varint();
                switch (f)
                {
                    case F.Common.IntermediateLogEntry:
                        st.Intermediate = value != 0;
                        break;
                    case F.Common.DownstreamWireBytesSent:
                        st.WireSent = value;
                        break;
                    case F.Common.DownstreamWireBytesReceived:
                        st.WireReceived = value;
                        break;
                    case F.Common.AccessLogType:
                        st.LogType = (int)value;
                        break;
                    default:
                        break;
                }
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    /// <summary>The facts derived from every occurrence of <c>common_properties</c>, once they are all read.</summary>
    private void FinishCommon(ref CommonState st, bool decodePeers, bool tcp, ref EntryFacts facts)
    {
        facts.DownstreamRemoteIp = Ip(st.Remote);
        facts.DownstreamLocalIp = Ip(st.Local);
        facts.UpstreamRemoteIp = Ip(st.Upstream);
        facts.DownstreamDirectRemoteIp = Ip(st.Direct);
        facts.DurationSeconds = st.DurationSeconds;
        facts.LatencyMicros = st.HasTtl ? EntryFields.Micros(st.TtlSeconds, st.TtlNanos) : facts.HasDuration ? EntryFields.Micros(st.DurationSeconds, st.DurationNanos) : -1;
        if (decodePeers)
        {
            (facts.UpstreamPeerStatus, facts.UpstreamPeer) = Resolve(ref st.Slots, upstream: true);
            (facts.DownstreamPeerStatus, facts.DownstreamPeer) = Resolve(ref st.Slots, upstream: false);
        }

        if (tcp)
        {
            facts.IsFinalTcp = EntryFields.IsFinalTcpEntry((AccessLogType)st.LogType, st.Intermediate);
            if (!st.StreamId.IsEmpty)
            {
                facts.ConnectionKey = ConnectionKey.ForStreamId(st.StreamId);
            }
            else if (st.Remote.Case == F.Address.SocketAddress && facts.HasStart)
            {
                facts.ConnectionKey = ConnectionKey.ForPeer(st.Remote.Ip, st.Remote.Port, facts.StartSeconds, facts.StartNanos);
            }
        }
    }

    private static ParsedCluster ParseCluster(ReadOnlySpan<byte> name) => ClusterNames.Create(Encoding.UTF8.GetString(name));

    private (PeerDecodeStatus, PeerInfo?) Resolve(ref PeerSlots slots, bool upstream)
    {
        var status = PeerDecodeStatus.Absent;
        var primary = upstream ? slots.Upstream : slots.Downstream;
        if (primary.Present)
        {
            var (s, p) = Decode(primary, upstream ? slots.UpstreamValue : slots.DownstreamValue);
            if (s == PeerDecodeStatus.Decoded)
            {
                return (s, p);
            }

            status = s;
        }

        var wasm = upstream ? slots.WasmUpstream : slots.WasmDownstream;
        if (wasm.Present)
        {
            var (s, p) = Decode(wasm, upstream ? slots.WasmUpstreamValue : slots.WasmDownstreamValue);
            if (s == PeerDecodeStatus.Decoded || status == PeerDecodeStatus.Absent)
            {
                return (s, p);
            }
        }

        return (status, null);
    }

    private (PeerDecodeStatus, PeerInfo?) Decode(PeerSlot slot, ReadOnlySpan<byte> value) => slot.Kind switch
    {
        PeerKind.Struct => peers.Struct(value),
        PeerKind.BytesValue => peers.FlatNode(value),
        _ => (PeerDecodeStatus.UnknownType, null),
    };

    private static bool FilterState(ReadOnlySpan<byte> entry, ref PeerSlots slots)
    {
        ReadOnlySpan<byte> key = default, any = default;
        var hasAny = false;
        var r = new ProtoReader(entry);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.MapEntry.Key && w == F.WireLength)
            {
                key = r.Bytes();
            }
            else if (f == F.MapEntry.Value && w == F.WireLength)
            {
                any = r.Bytes();
                hasAny = true;
            }
            else
            {
                r.Skip(w, f);
            }
        }

        // Every Any is read (the reference parser reads them all), even under keys not used.
        var kind = PeerKind.Other;
        ReadOnlySpan<byte> value = default;
        if (hasAny)
        {
            var a = new ProtoReader(any);
            ReadOnlySpan<byte> typeUrl = default;
            while (a.NextField(out var f, out var w))
            {
                if (f == F.Any.TypeUrl && w == F.WireLength)
                {
                    typeUrl = a.Bytes();
                }
                else if (f == F.Any.Value && w == F.WireLength)
                {
                    value = a.Bytes();
                }
                else
                {
                    a.Skip(w, f);
                }
            }

            if (a.Failed)
            {
                return false;
            }

            kind = typeUrl.SequenceEqual(StructType) ? PeerKind.Struct : typeUrl.SequenceEqual(BytesValueType) ? PeerKind.BytesValue : PeerKind.Other;
        }

        if (r.Failed)
        {
            return false;
        }

        var slot = new PeerSlot(true, kind);
        if (key.SequenceEqual("upstream_peer"u8))
        {
            slots.Upstream = slot;
            slots.UpstreamValue = value;
        }
        else if (key.SequenceEqual("downstream_peer"u8))
        {
            slots.Downstream = slot;
            slots.DownstreamValue = value;
        }
        else if (key.SequenceEqual("wasm.upstream_peer"u8))
        {
            slots.WasmUpstream = slot;
            slots.WasmUpstreamValue = value;
        }
        else if (key.SequenceEqual("wasm.downstream_peer"u8))
        {
            slots.WasmDownstream = slot;
            slots.WasmDownstreamValue = value;
        }

        return true;
    }

    /// <summary>An Address's IP when it is a socket address (empty for pipes and internal addresses).</summary>
    private IpText Ip(in AddressState address) =>
        address.Case == F.Address.SocketAddress && !address.Ip.IsEmpty ? IpText.FromUtf8(address.Ip, strings) : default;

    /// <summary>
    /// Merges one Address message into <paramref name="state"/>: the oneof member last on the
    /// wire wins; a socket address following a socket address is merged into it (fields it
    /// carries replace), one following another member starts empty.
    /// </summary>
    private static bool Address(ReadOnlySpan<byte> address, ref AddressState state)
    {
        var r = new ProtoReader(address);
        while (r.NextField(out var f, out var w))
        {
            if (w != F.WireLength || f is not (F.Address.SocketAddress or F.Address.Pipe or F.Address.EnvoyInternalAddress))
            {
                r.Skip(w, f);
                continue;
            }

            var value = r.Bytes();
            if (f != F.Address.SocketAddress)
            {
                state = new AddressState { Case = f };
                continue;
            }

            if (state.Case != F.Address.SocketAddress)
            {
                state = new AddressState { Case = f };
            }

            var s = new ProtoReader(value);
            while (s.NextField(out var sf, out var sw))
            {
                if (sf == F.SocketAddress.Address && sw == F.WireLength)
                {
                    state.Ip = s.Bytes();
                }
                else if (sf == F.SocketAddress.PortValue && sw == F.WireVarint)
                {
                    state.Port = (uint)s.Varint();
                }
                else
                {
                    s.Skip(sw, sf);
                }
            }

            if (s.Failed)
            {
                return false;
            }
        }

        return !r.Failed;
    }

    /// <summary>Merges a Timestamp or Duration into <paramref name="seconds"/> and <paramref name="nanos"/> (fields it carries replace).</summary>
    private static bool Time(ReadOnlySpan<byte> time, ref long seconds, ref int nanos)
    {
        var r = new ProtoReader(time);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.Time.Seconds && w == F.WireVarint)
            {
                seconds = (long)r.Varint();
            }
            else if (f == F.Time.Nanos && w == F.WireVarint)
            {
                nanos = (int)r.Varint();
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    private static bool Flags(ReadOnlySpan<byte> flags, ref uint mask)
    {
        var r = new ProtoReader(flags);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.ResponseFlags.UnauthorizedDetails && w == F.WireLength)
            {
                r.Bytes();
                mask |= 1u << (f - 1);
            }
            else if (f is >= 1 and <= F.ResponseFlags.Last && f != F.ResponseFlags.UnauthorizedDetails && w == F.WireVarint)
            {
                mask = r.Varint() != 0 ? mask | (1u << (f - 1)) : mask & ~(1u << (f - 1));
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    private bool Tls(ReadOnlySpan<byte> tls, ref EntryFacts facts)
    {
        facts.HasTls = true;
        var r = new ProtoReader(tls);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.Tls.LocalCertificateProperties && w == F.WireLength)
            {
                facts.HasLocalCertificate = true;
                if (!Certificate(r.Bytes(), out _, out var spiffe))
                {
                    return false;
                }

                if (facts.LocalSpiffe.Length == 0 && !spiffe.IsEmpty)
                {
                    facts.LocalSpiffe = strings.InternUtf8(spiffe);
                }
            }
            else if (f == F.Tls.PeerCertificateProperties && w == F.WireLength)
            {
                if (!Certificate(r.Bytes(), out var hasUri, out var spiffe))
                {
                    return false;
                }

                facts.PeerHasUriSan |= hasUri;
                if (facts.PeerSpiffe.Length == 0 && !spiffe.IsEmpty)
                {
                    facts.PeerSpiffe = strings.InternUtf8(spiffe);
                }
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    /// <summary>A certificate's URI SANs: whether it has any, and its first <c>spiffe://</c> one.</summary>
    private static bool Certificate(ReadOnlySpan<byte> certificate, out bool hasUri, out ReadOnlySpan<byte> spiffe)
    {
        hasUri = false;
        spiffe = default;
        var cert = new ProtoReader(certificate);
        while (cert.NextField(out var cf, out var cw))
        {
            if (cf != F.Tls.SubjectAltName || cw != F.WireLength)
            {
                cert.Skip(cw, cf);
                continue;
            }

            var san = new ProtoReader(cert.Bytes());
            ReadOnlySpan<byte> uri = default;
            var isUri = false;
            while (san.NextField(out var sf, out var sw))
            {
                if (sw == F.WireLength && sf is F.Tls.SanUri or F.Tls.SanDns)
                {
                    var v = san.Bytes();
                    isUri = sf == F.Tls.SanUri;
                    uri = isUri ? v : default;
                }
                else
                {
                    san.Skip(sw, sf);
                }
            }

            if (san.Failed)
            {
                return false;
            }

            if (isUri && !uri.IsEmpty)
            {
                hasUri = true;
                if (spiffe.IsEmpty && uri.StartsWith(Spiffe))
                {
                    spiffe = uri;
                }
            }
        }

        return !cert.Failed;
    }

    private static bool Request(ReadOnlySpan<byte> request, ref HttpParts http)
    {
        var r = new ProtoReader(request);
        while (r.NextField(out var f, out var w))
        {
            if (w == F.WireVarint && f is F.Request.RequestMethod or F.Request.RequestHeadersBytes or F.Request.RequestBodyBytes)
            {
                var v = r.Varint();
                if (f == F.Request.RequestMethod)
                {
                    http.Method = (int)v;
                }
                else if (f == F.Request.RequestHeadersBytes)
                {
                    http.RequestHeadersBytes = v;
                }
                else
                {
                    http.RequestBodyBytes = v;
                }
            }
            else if (w == F.WireLength && f is F.Request.Authority or F.Request.Path or F.Request.RequestHeaders)
            {
                var v = r.Bytes();
                if (f == F.Request.Authority)
                {
                    http.Authority = v;
                }
                else if (f == F.Request.Path)
                {
                    http.Path = v;
                }
                else if (!Header(v, ContentType, ref http.RequestContentType, ref http.HasRequestContentType))
                {
                    return false;
                }
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    private static bool Response(ReadOnlySpan<byte> response, ref HttpParts http)
    {
        var r = new ProtoReader(response);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.Response.ResponseCode && w == F.WireLength)
            {
                var code = new ProtoReader(r.Bytes());
                uint value = 0;
                while (code.NextField(out var cf, out var cw))
                {
                    if (cf == F.WrapperValue && cw == F.WireVarint)
                    {
                        value = (uint)code.Varint();
                    }
                    else
                    {
                        code.Skip(cw, cf);
                    }
                }

                if (code.Failed)
                {
                    return false;
                }

                // A wrapper appearing again merges as the generated parser does: a zero (the
                // wrapper's default) does not replace a value read before.
                if (!http.HasResponseCode || value != 0)
                {
                    http.ResponseCode = value;
                }

                http.HasResponseCode = true;
            }
            else if (w == F.WireVarint && f is F.Response.ResponseHeadersBytes or F.Response.ResponseBodyBytes)
            {
                var v = r.Varint();
                if (f == F.Response.ResponseHeadersBytes)
                {
                    http.ResponseHeadersBytes = v;
                }
                else
                {
                    http.ResponseBodyBytes = v;
                }
            }
            else if (w == F.WireLength && f == F.Response.ResponseHeaders)
            {
                // One parse of the entry for both names read from response headers.
                if (!MapEntry(r.Bytes(), out var key, out var value))
                {
                    return false;
                }

                if (key.SequenceEqual(ContentType))
                {
                    http.ResponseContentType = value;
                    http.HasResponseContentType = true;
                }
                else if (key.SequenceEqual(GrpcStatusKey))
                {
                    http.HeaderGrpcStatus = value;
                    http.HasHeaderGrpcStatus = true;
                }
            }
            else if (w == F.WireLength && f == F.Response.ResponseTrailers)
            {
                if (!Header(r.Bytes(), GrpcStatusKey, ref http.TrailerGrpcStatus, ref http.HasTrailerGrpcStatus))
                {
                    return false;
                }
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    /// <summary>Reads one map entry; when its key is <paramref name="name"/>, keeps its value (the last one wins, as in a map).</summary>
    private static bool Header(ReadOnlySpan<byte> entry, ReadOnlySpan<byte> name, ref ReadOnlySpan<byte> value, ref bool found)
    {
        if (!MapEntry(entry, out var key, out var v))
        {
            return false;
        }

        if (key.SequenceEqual(name))
        {
            value = v;
            found = true;
        }

        return true;
    }

    /// <summary>A <c>map&lt;string, string&gt;</c> entry's key and value (empty when absent; the last of each wins).</summary>
    private static bool MapEntry(ReadOnlySpan<byte> entry, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> v)
    {
        key = default;
        v = default;
        var r = new ProtoReader(entry);
        while (r.NextField(out var f, out var w))
        {
            if (f == F.MapEntry.Key && w == F.WireLength)
            {
                key = r.Bytes();
            }
            else if (f == F.MapEntry.Value && w == F.WireLength)
            {
                v = r.Bytes();
            }
            else
            {
                r.Skip(w, f);
            }
        }

        return !r.Failed;
    }

    private string Endpoint(int method, ReadOnlySpan<byte> path)
    {
        // The table redacts (PathRedaction) when it builds an endpoint, once per distinct raw path.
        var cut = path.IndexOfAny((byte)'?', (byte)'#');
        return endpoints.Intern(method, cut >= 0 ? path[..cut] : path);
    }

    /// <summary>As <see cref="EntryFields.HostOf"/>, over the authority's bytes.</summary>
    private string HostOf(ReadOnlySpan<byte> authority)
    {
        var at = authority.LastIndexOf((byte)'@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }

        if (authority.IsEmpty)
        {
            return string.Empty;
        }

        if (authority[0] == '[')
        {
            var close = authority.IndexOf((byte)']');
            return strings.InternUtf8(close > 0 ? authority[..(close + 1)] : authority);
        }

        var colon = authority.LastIndexOf((byte)':');
        return strings.InternUtf8(colon > 0 ? authority[..colon] : authority);
    }

    private static bool IsGrpcContentType(ReadOnlySpan<byte> value, bool present) =>
        present && value.Length >= 16 && Ascii.EqualsIgnoreCase(value[..16], "application/grpc"u8);

    /// <summary>As <see cref="ProtocolDetector.LooksLikeGrpcPath"/>, over the path's bytes.</summary>
    private static bool LooksLikeGrpcPath(ReadOnlySpan<byte> path)
    {
        if (path.Length > MaxPathChars)
        {
            return false;
        }

        Span<char> chars = stackalloc char[Encoding.UTF8.GetMaxCharCount(path.Length)];
        var n = Encoding.UTF8.GetChars(path, chars);
        var text = chars[..n];
        if (text.Length < 4 || text[0] != '/' || text.Contains('?'))
        {
            return false;
        }

        var slash = text[1..].IndexOf('/') + 1;
        return slash > 1
            && slash < text.Length - 1
            && text[(slash + 1)..].IndexOf('/') < 0
            && text[1..slash].Contains('.');
    }

    private static bool TryParseInt(ReadOnlySpan<byte> utf8, out int value)
    {
        Span<char> chars = stackalloc char[Math.Min(64, Encoding.UTF8.GetMaxCharCount(utf8.Length))];
        if (utf8.Length > 32)
        {
            value = 0;
            return false;
        }

        var n = Encoding.UTF8.GetChars(utf8, chars);
        return int.TryParse(chars[..n], NumberStyles.Integer, CultureInfo.CurrentCulture, out value);
    }

    private enum PeerKind : byte
    {
        Other,
        Struct,
        BytesValue,
    }

    private readonly record struct PeerSlot(bool Present, PeerKind Kind);

    private ref struct PeerSlots
    {
        public PeerSlot Upstream;
        public PeerSlot Downstream;
        public PeerSlot WasmUpstream;
        public PeerSlot WasmDownstream;
        public ReadOnlySpan<byte> UpstreamValue;
        public ReadOnlySpan<byte> DownstreamValue;
        public ReadOnlySpan<byte> WasmUpstreamValue;
        public ReadOnlySpan<byte> WasmDownstreamValue;
    }

    /// <summary>What <see cref="FinishCommon"/> derives facts from, merged over every occurrence of <c>common_properties</c>.</summary>
    private ref struct CommonState
    {
        public PeerSlots Slots;
        public ReadOnlySpan<byte> StreamId;
        public bool HasTtl;
        public bool Intermediate;
        public AddressState Remote;
        public AddressState Local;
        public AddressState Upstream;
        public AddressState Direct;
        public long TtlSeconds;
        public int TtlNanos;
        public long DurationSeconds;
        public int DurationNanos;
        public int LogType;
        public ulong WireSent;
        public ulong WireReceived;
    }

    /// <summary>An Address as merged so far: which oneof member (0 when none) and a socket address's IP and port.</summary>
    private ref struct AddressState
    {
        public int Case;
        public ReadOnlySpan<byte> Ip;
        public uint Port;
    }

    private ref struct HttpParts
    {
        public int Method;
        public ReadOnlySpan<byte> Authority;
        public ReadOnlySpan<byte> Path;
        public ulong RequestHeadersBytes;
        public ulong RequestBodyBytes;
        public ReadOnlySpan<byte> RequestContentType;
        public bool HasRequestContentType;
        public uint ResponseCode;
        public bool HasResponseCode;
        public ulong ResponseHeadersBytes;
        public ulong ResponseBodyBytes;
        public ReadOnlySpan<byte> ResponseContentType;
        public bool HasResponseContentType;
        public ReadOnlySpan<byte> HeaderGrpcStatus;
        public bool HasHeaderGrpcStatus;
        public ReadOnlySpan<byte> TrailerGrpcStatus;
        public bool HasTrailerGrpcStatus;
    }
}

using AlsAnalyzer.Core.Aggregation;
using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Ingest;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Query;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Config.Core.V3;
using Envoy.Data.Accesslog.V3;
using Envoy.Service.Accesslog.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using F = AlsAnalyzer.Core.Decoding.WireFields;

namespace AlsAnalyzer.Core.Tests.Decoding;

/// <summary>The fast decoder against the reference (generated objects): same facts, same aggregates.</summary>
public sealed class FastDecoderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 30, TimeSpan.Zero);

    [Fact]
    public void WireFields_EqualTheGeneratedDescriptors()
    {
        void Field(MessageDescriptor d, string name, int number) => Assert.True(d.FindFieldByName(name)?.FieldNumber == number, $"{d.FullName}.{name} is not field {number}");

        Field(StreamAccessLogsMessage.Descriptor, "identifier", F.StreamAccessLogsMessage.Identifier);
        Field(StreamAccessLogsMessage.Descriptor, "http_logs", F.StreamAccessLogsMessage.HttpLogs);
        Field(StreamAccessLogsMessage.Descriptor, "tcp_logs", F.StreamAccessLogsMessage.TcpLogs);
        Field(StreamAccessLogsMessage.Types.HTTPAccessLogEntries.Descriptor, "log_entry", F.StreamAccessLogsMessage.LogEntry);
        Field(StreamAccessLogsMessage.Types.TCPAccessLogEntries.Descriptor, "log_entry", F.StreamAccessLogsMessage.LogEntry);
        Field(HTTPAccessLogEntry.Descriptor, "common_properties", F.HttpEntry.CommonProperties);
        Field(HTTPAccessLogEntry.Descriptor, "protocol_version", F.HttpEntry.ProtocolVersion);
        Field(HTTPAccessLogEntry.Descriptor, "request", F.HttpEntry.Request);
        Field(HTTPAccessLogEntry.Descriptor, "response", F.HttpEntry.Response);
        Field(TCPAccessLogEntry.Descriptor, "common_properties", F.TcpEntry.CommonProperties);
        Field(TCPAccessLogEntry.Descriptor, "connection_properties", F.TcpEntry.ConnectionProperties);
        Field(ConnectionProperties.Descriptor, "received_bytes", F.ConnectionProperties.ReceivedBytes);
        Field(ConnectionProperties.Descriptor, "sent_bytes", F.ConnectionProperties.SentBytes);
        var c = AccessLogCommon.Descriptor;
        Field(c, "downstream_remote_address", F.Common.DownstreamRemoteAddress);
        Field(c, "downstream_local_address", F.Common.DownstreamLocalAddress);
        Field(c, "tls_properties", F.Common.TlsProperties);
        Field(c, "start_time", F.Common.StartTime);
        Field(c, "time_to_last_downstream_tx_byte", F.Common.TimeToLastDownstreamTxByte);
        Field(c, "upstream_remote_address", F.Common.UpstreamRemoteAddress);
        Field(c, "upstream_cluster", F.Common.UpstreamCluster);
        Field(c, "response_flags", F.Common.ResponseFlags);
        Field(c, "downstream_direct_remote_address", F.Common.DownstreamDirectRemoteAddress);
        Field(c, "filter_state_objects", F.Common.FilterStateObjects);
        Field(c, "duration", F.Common.Duration);
        Field(c, "stream_id", F.Common.StreamId);
        Field(c, "intermediate_log_entry", F.Common.IntermediateLogEntry);
        Field(c, "downstream_wire_bytes_sent", F.Common.DownstreamWireBytesSent);
        Field(c, "downstream_wire_bytes_received", F.Common.DownstreamWireBytesReceived);
        Field(c, "access_log_type", F.Common.AccessLogType);
        Field(Address.Descriptor, "socket_address", F.Address.SocketAddress);
        Field(Address.Descriptor, "pipe", F.Address.Pipe);
        Field(Address.Descriptor, "envoy_internal_address", F.Address.EnvoyInternalAddress);
        Field(SocketAddress.Descriptor, "address", F.SocketAddress.Address);
        Field(SocketAddress.Descriptor, "port_value", F.SocketAddress.PortValue);
        Field(Timestamp.Descriptor, "seconds", F.Time.Seconds);
        Field(Timestamp.Descriptor, "nanos", F.Time.Nanos);
        Field(Duration.Descriptor, "seconds", F.Time.Seconds);
        Field(Duration.Descriptor, "nanos", F.Time.Nanos);
        Field(ResponseFlags.Descriptor, "unauthorized_details", F.ResponseFlags.UnauthorizedDetails);
        Assert.Equal(F.ResponseFlags.Last, ResponseFlags.Descriptor.Fields.InFieldNumberOrder().Max(x => x.FieldNumber));
        Assert.Equal(ResponseFlagSet.Count, ResponseFlags.Descriptor.Fields.InFieldNumberOrder().Count);
        Field(TLSProperties.Descriptor, "local_certificate_properties", F.Tls.LocalCertificateProperties);
        Field(TLSProperties.Descriptor, "peer_certificate_properties", F.Tls.PeerCertificateProperties);
        Field(TLSProperties.Types.CertificateProperties.Descriptor, "subject_alt_name", F.Tls.SubjectAltName);
        Field(TLSProperties.Types.CertificateProperties.Types.SubjectAltName.Descriptor, "uri", F.Tls.SanUri);
        Field(TLSProperties.Types.CertificateProperties.Types.SubjectAltName.Descriptor, "dns", F.Tls.SanDns);
        Field(Any.Descriptor, "type_url", F.Any.TypeUrl);
        Field(Any.Descriptor, "value", F.Any.Value);
        Field(HTTPRequestProperties.Descriptor, "request_method", F.Request.RequestMethod);
        Field(HTTPRequestProperties.Descriptor, "authority", F.Request.Authority);
        Field(HTTPRequestProperties.Descriptor, "path", F.Request.Path);
        Field(HTTPRequestProperties.Descriptor, "request_headers_bytes", F.Request.RequestHeadersBytes);
        Field(HTTPRequestProperties.Descriptor, "request_body_bytes", F.Request.RequestBodyBytes);
        Field(HTTPRequestProperties.Descriptor, "request_headers", F.Request.RequestHeaders);
        Field(HTTPResponseProperties.Descriptor, "response_code", F.Response.ResponseCode);
        Field(HTTPResponseProperties.Descriptor, "response_headers_bytes", F.Response.ResponseHeadersBytes);
        Field(HTTPResponseProperties.Descriptor, "response_body_bytes", F.Response.ResponseBodyBytes);
        Field(HTTPResponseProperties.Descriptor, "response_headers", F.Response.ResponseHeaders);
        Field(HTTPResponseProperties.Descriptor, "response_trailers", F.Response.ResponseTrailers);
        Field(UInt32Value.Descriptor, "value", F.WrapperValue);
    }

    [Fact]
    public void DecodeHttp_RandomRealisticEntries_SameFactsAsReference()
    {
        var decoder = Decoder();
        var random = new Random(20261123);
        for (var i = 0; i < 4000; i++)
        {
            var entry = EntryGenerator.Http(random);

            Assert.True(decoder.DecodeHttp(entry.ToByteArray(), decodePeers: true, out var fast), $"case {i} did not decode: {entry}");
            AssertSameFacts(ReferenceFacts.Http(entry, decodePeers: true), fast, i, entry);
        }
    }

    [Fact]
    public void DecodeTcp_RandomRealisticEntries_SameFactsAsReference()
    {
        var decoder = Decoder();
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var entry = EntryGenerator.Tcp(random);

            Assert.True(decoder.DecodeTcp(entry.ToByteArray(), decodePeers: true, out var fast), $"case {i} did not decode: {entry}");
            AssertSameFacts(ReferenceFacts.Tcp(entry, decodePeers: true), fast, i, entry);
        }
    }

    [Fact]
    public void DecodeHttp_TwoEntriesConcatenated_SameFactsAsReferenceMerge()
    {
        // Two encodings one after the other are one message whose repeated message fields are
        // merged (common properties, addresses, timestamps, the response code wrapper, ...):
        // legal protobuf that Envoy never sends, and the decoders must still agree on it.
        var decoder = Decoder();
        var random = new Random(4242);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = EntryGenerator.Http(random).ToByteArray().Concat(EntryGenerator.Http(random).ToByteArray()).ToArray();
            var merged = HTTPAccessLogEntry.Parser.ParseFrom(bytes);

            Assert.True(decoder.DecodeHttp(bytes, decodePeers: true, out var fast), $"case {i} did not decode: {merged}");
            AssertSameFacts(ReferenceFacts.Http(merged, decodePeers: true), fast, i, merged);
        }
    }

    [Fact]
    public void DecodeTcp_TwoEntriesConcatenated_SameFactsAsReferenceMerge()
    {
        var decoder = Decoder();
        var random = new Random(4343);
        for (var i = 0; i < 1000; i++)
        {
            var bytes = EntryGenerator.Tcp(random).ToByteArray().Concat(EntryGenerator.Tcp(random).ToByteArray()).ToArray();
            var merged = TCPAccessLogEntry.Parser.ParseFrom(bytes);

            Assert.True(decoder.DecodeTcp(bytes, decodePeers: true, out var fast), $"case {i} did not decode: {merged}");
            AssertSameFacts(ReferenceFacts.Tcp(merged, decodePeers: true), fast, i, merged);
        }
    }

    [Fact]
    public void DecodeHttp_MergedFieldEdgeCases_SameFactsAsReference()
    {
        // The cases a review found: a zero response code wrapper after a real one, a timestamp
        // carrying only nanos after a whole one, and a socket address after a pipe after a socket.
        var decoder = Decoder();
        var first = new HTTPAccessLogEntry
        {
            CommonProperties = new AccessLogCommon
            {
                StartTime = new Timestamp { Seconds = 1_790_000_000, Nanos = 5 },
                DownstreamRemoteAddress = new Address { SocketAddress = new SocketAddress { Address = "10.244.1.7", PortValue = 4000 } },
            },
            Response = new HTTPResponseProperties { ResponseCode = 200 },
        };
        var second = new HTTPAccessLogEntry
        {
            CommonProperties = new AccessLogCommon
            {
                StartTime = new Timestamp { Nanos = 9 },
                DownstreamRemoteAddress = new Address { Pipe = new Pipe { Path = "/tmp/sock" } },
            },
        };
        var third = new HTTPAccessLogEntry
        {
            CommonProperties = new AccessLogCommon { DownstreamRemoteAddress = new Address { SocketAddress = new SocketAddress { PortValue = 5000 } } },
        };
        byte[] zeroCode = [(byte)((F.Response.ResponseCode << 3) | 2), 0];
        byte[] responseWithZeroCode = [(byte)((F.HttpEntry.Response << 3) | 2), (byte)zeroCode.Length, .. zeroCode];
        var bytes = first.ToByteArray().Concat(second.ToByteArray()).Concat(third.ToByteArray()).Concat(responseWithZeroCode).ToArray();
        var merged = HTTPAccessLogEntry.Parser.ParseFrom(bytes);

        Assert.True(decoder.DecodeHttp(bytes, decodePeers: true, out var fast));
        var expected = ReferenceFacts.Http(merged, decodePeers: true);
        AssertSameFacts(expected, fast, 0, merged);
        Assert.Equal(200, fast.StatusCode);
        Assert.Equal(1_790_000_000, fast.StartSeconds);
        Assert.Equal(9, fast.StartNanos);
        Assert.True(fast.DownstreamRemoteIp.IsEmpty);
    }

    [Fact]
    public void Pipelines_SameMessages_SameTallyAndSameTopology()
    {
        var (reference, referenceAggregator) = Pipeline(fast: false);
        var (fast, fastAggregator) = Pipeline(fast: true);
        var random = new Random(7);
        var referenceTally = new IngestTally();
        var fastTally = new IngestTally();
        for (var stream = 0; stream < 150; stream++)
        {
            var referenceState = new AccessLogStreamState();
            var fastState = new AccessLogStreamState();
            foreach (var payload in EntryGenerator.Stream(random))
            {
                var a = reference.Process(payload, referenceState, referenceTally);
                var b = fast.Process(payload, fastState, fastTally);
                Assert.Equal(a.Status, b.Status);
                Assert.Equal(a.Entries, b.Entries);
            }
        }

        Assert.Equal(Counts(referenceTally), Counts(fastTally));
        Assert.True(referenceTally.Analyzed > 1000, "the corpus exercised too little");
        Assert.Equal(Json(referenceAggregator), Json(fastAggregator));
    }

    /// <summary>
    /// Corrupted payloads: the analyze pipeline never throws and its accounting always balances.
    /// Where the reference parser accepts the corrupted bytes, the analyze pipeline must agree on
    /// their canonical encoding. (On the raw bytes the two may differ: the reference's
    /// wrapper reader reads past a corrupt <c>UInt32Value</c>'s declared length, which the
    /// fast decoder refuses.)
    /// </summary>
    [Fact]
    public void AnalyzePipeline_MutatedPayloads_NeverThrowsAndAgreesOnWhatTheReferenceParses()
    {
        var random = new Random(99);
        var parsedByReference = 0;
        for (var i = 0; i < 3000; i++)
        {
            var payload = EntryGenerator.Stream(random).First();
            Mutate(payload, random);
            var (fastOnRaw, _) = Pipeline(fast: true);
            var rawTally = new IngestTally();
            fastOnRaw.Process(payload, new AccessLogStreamState(), rawTally);
            Assert.Equal(rawTally.Received, rawTally.Analyzed + rawTally.Unattributed + rawTally.RejectedTotal);

            StreamAccessLogsMessage parsed;
            try
            {
                parsed = StreamAccessLogsMessage.Parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException)
            {
                continue;
            }
            catch (InvalidOperationException)
            {
                // Google.Protobuf 3.36 throws this (not InvalidProtocolBufferException) for a
                // wrapper field truncated at the end of the payload: still unparsable input.
                continue;
            }

            parsedByReference++;
            var canonical = parsed.ToByteArray();
            var (reference, referenceAggregator) = Pipeline(fast: false);
            var (fast, fastAggregator) = Pipeline(fast: true);
            var referenceTally = new IngestTally();
            var fastTally = new IngestTally();

            var a = reference.Process(canonical, new AccessLogStreamState(), referenceTally);
            var b = fast.Process(canonical, new AccessLogStreamState(), fastTally);

            Assert.True(a.Status == b.Status, $"case {i}: reference {a.Status}, fast {b.Status} {b.Error}\n{Convert.ToHexString(canonical)}");
            Assert.Equal(Counts(referenceTally), Counts(fastTally));
            Assert.Equal(Json(referenceAggregator), Json(fastAggregator));
        }

        Assert.True(parsedByReference > 100, $"only {parsedByReference} mutated payloads parsed: mutate less");
    }

    [Fact]
    public void AnalyzePipeline_SteadyState_InternsRepeatedStringsAndCachesPeers()
    {
        var (fast, _) = Pipeline(fast: true);
        var pipeline = (AnalyzePipeline)fast;
        var random = new Random(3);
        var payloads = EntryGenerator.Stream(random).ToList();
        var state = new AccessLogStreamState();
        foreach (var p in payloads)
        {
            pipeline.Process(p, state, new IngestTally());
        }

        var (strings, endpoints, peers) = (pipeline.Strings.Count, pipeline.Endpoints.Count, pipeline.Peers.Count);
        foreach (var p in payloads)
        {
            pipeline.Process(p, state, new IngestTally());
        }

        Assert.Equal((strings, endpoints, peers), (pipeline.Strings.Count, pipeline.Endpoints.Count, pipeline.Peers.Count));
        Assert.True(peers > 0);
    }

    [Fact]
    public void AnalyzePipeline_SteadyState_AllocatesNothingPerEntry()
    {
        // Every key is seen in the warm-up passes; a steady pass (same minute, same keys,
        // callers named only by their certificates included) must allocate nothing. Two
        // warm-up passes, because the replay reopens TCP connections the first pass closed, and
        // a stream's connection state grows once for them. The messages carrying an identifier
        // are left out: a stream parses its identifier once, which allocates by design. Three
        // steady passes, the least taken: a pool trimmed by a collection that a parallel test
        // caused may allocate once, but an allocation per entry shows in every pass.
        var (fast, aggregator) = Pipeline(fast: true);
        var streams = Enumerable.Range(0, 40)
            .Select(seed => (State: new AccessLogStreamState(), Payloads: EntryGenerator.Stream(new Random(seed)).ToList()))
            .ToList();
        var tally = new IngestTally();
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var (state, payloads) in streams)
            {
                payloads.ForEach(p => fast.Process(p, state, tally));
            }
        }

        var measured = new IngestTally();
        var allocated = new List<long>();
        for (var pass = 0; pass < 3; pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var (state, payloads) in streams)
            {
                for (var i = 1; i < payloads.Count; i++)
                {
                    fast.Process(payloads[i], state, measured);
                }
            }

            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        // Not vacuous: the steady passes analysed entries, and some callers were named by certificate.
        Assert.True(measured.Received > 1_500, $"only {measured.Received} entries");
        var window = new QueryWindow(Now.AddHours(-1), Now.AddMinutes(10));
        var view = aggregator.Read(0, window.FromMinute, window.ToMinute, WindowView.Fold);
        Assert.Contains(view.Edges.Keys, k => k.Source.Kind == NodeKind.Unknown && k.Source.Namespace.Length > 0);
        Assert.Equal(0, allocated.Min());
    }

    private static FastEntryDecoder Decoder() => new(new InternTable(10_000), new EndpointTable(10_000), new ByteKeyTable<ParsedCluster>(10_000), new PeerCache(10_000));

    private static (IAccessLogPipeline Pipeline, Aggregator Aggregator) Pipeline(bool fast)
    {
        var time = new FixedTime(Now);
        var analyzer = new EntryAnalyzer(new AnalysisSettings());
        var aggregator = new Aggregator(new AggregationOptions(), shardCount: 1);
        return (fast ? new AnalyzePipeline(analyzer, aggregator, time) : new ReferencePipeline(analyzer, aggregator, time), aggregator);
    }

    private static (long, long, long, string) Counts(IngestTally t) =>
        (t.Received, t.Analyzed, t.Unattributed, string.Join(',', t.Rejected) + "/" + t.PeerInvalid + "/" + t.PeerUnknownType);

    private static string Json(Aggregator aggregator)
    {
        var window = new QueryWindow(Now.AddHours(-1), Now.AddMinutes(10));
        var view = aggregator.Read(0, window.FromMinute, window.ToMinute, WindowView.Fold);
        var topology = TopologyQueries.Topology(view, window, null);
        var services = TopologyQueries.Services(view, window, null);
        var details = services.Services.Select(s => TopologyQueries.Service(view, window, s.Namespace, s.Name)).ToList();
        return System.Text.Json.JsonSerializer.Serialize(new { topology, services, details });
    }

    private static void Mutate(byte[] payload, Random random)
    {
        var flips = random.Next(1, 4);
        for (var i = 0; i < flips; i++)
        {
            payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
        }
    }

    private static void AssertSameFacts(EntryFacts expected, EntryFacts actual, int index, IMessage entry)
    {
        var differences = new List<string>();
        foreach (var field in typeof(EntryFacts).GetFields())
        {
            var e = field.GetValue(expected);
            var a = field.GetValue(actual);
            if (!Equals(e, a))
            {
                differences.Add($"{field.Name}: expected {e}, actual {a}");
            }
        }

        Assert.True(differences.Count == 0, $"case {index}: {string.Join("; ", differences)}\n{entry}");
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

using System.Buffers.Binary;
using System.Text;
using AlsAnalyzer.Core.IstioMetrics;

namespace AlsAnalyzer.Server.IstioMetrics;

/// <summary>
/// Writes a snapshot's series as remote-write request bodies (snappy-compressed
/// <c>WriteRequest</c> protobuf), at most <c>maxSamples</c> time series per request, without
/// building the message's object graph: each series' labels are encoded once per push and
/// copied into each of its time series (a counter or a histogram's 22 lines). The bytes are those
/// <see cref="RemoteWriteRequests.Build"/> gives through Google.Protobuf (tests compare them);
/// the object graph cost 25 objects per time series and the whole uncompressed request at once
/// (about 200 MB for 300,000 time series), which this writer's batches and reused buffers do
/// not (<c>benchmarks/README.md</c>, "Remote write").
/// </summary>
internal sealed class RemoteWriteEncoder
{
    // Field tags (field number << 3 | wire type): WriteRequest.timeseries = 1 and metadata = 3,
    // TimeSeries.labels = 1 and samples = 2, Label.name = 1 and value = 2, Sample.value = 1
    // (fixed64) and timestamp = 2 (varint), MetricMetadata.type = 1 (varint) and metric_family_name = 2.
    private const byte TimeSeriesTag = 0x0A;
    private const byte MetadataTag = 0x1A;
    private const byte LabelTag = 0x0A;
    private const byte SampleTag = 0x12;
    private const byte NameTag = 0x0A;
    private const byte ValueTag = 0x12;
    private const byte SampleValueTag = 0x09;
    private const byte SampleTimestampTag = 0x10;
    private const byte MetadataTypeTag = 0x08;
    private const byte MetadataNameTag = 0x12;

    private static readonly byte[] TcpSent = NameLabel(IstioNames.TcpSent);
    private static readonly byte[] TcpReceived = NameLabel(IstioNames.TcpReceived);
    private static readonly byte[] TcpOpened = NameLabel(IstioNames.TcpOpened);
    private static readonly byte[] TcpClosed = NameLabel(IstioNames.TcpClosed);
    private static readonly byte[] Requests = NameLabel(IstioNames.Requests);
    private static readonly HistogramNames Duration = new(IstioNames.Duration);
    private static readonly HistogramNames RequestBytes = new(IstioNames.RequestBytes);
    private static readonly HistogramNames ResponseBytes = new(IstioNames.ResponseBytes);
    private static readonly byte[][] LeLabels = [.. RemoteWriteRequests.LeValues.Select(v => Label(RemoteWriteRequests.LeLabel, v))];
    private static readonly byte[] Metadata = MetadataBytes();

    private byte[] _body = new byte[64 * 1024];
    private byte[] _compressed = [];
    private int _length;
    private int _samples;
    private byte[] _labels = new byte[4 * 1024];
    private int _beforeLe;
    private int _afterLe;

    /// <summary>
    /// The snappy-compressed request bodies of <paramref name="snapshot"/> with their sample
    /// counts, in order; each holds at most <paramref name="maxSamples"/> time series (one sample
    /// each) and the metric metadata.
    /// </summary>
    public List<(byte[] Body, int Samples)> Encode(List<(IstioSeries Series, IstioCounts Counts)> snapshot, long timestampMs, string replica, int maxSamples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 1);
        var bodies = new List<(byte[] Body, int Samples)>();
        var replicaLabel = Label(RemoteWriteRequests.ReplicaLabel, replica);
        var sample = new Sample(timestampMs);
        Start();
        foreach (var (series, c) in snapshot)
        {
            EncodeLabels(series, replicaLabel);
            if (series.Tcp)
            {
                Add(TcpSent, [], c.TcpSentBytes, ref sample, bodies, maxSamples);
                Add(TcpReceived, [], c.TcpReceivedBytes, ref sample, bodies, maxSamples);
                Add(TcpOpened, [], c.TcpOpened, ref sample, bodies, maxSamples);
                Add(TcpClosed, [], c.TcpClosed, ref sample, bodies, maxSamples);
                continue;
            }

            Add(Requests, [], c.Requests, ref sample, bodies, maxSamples);
            Histogram(Duration, c, IstioCounts.DurationOffset, c.DurationMicrosSum / 1000.0, ref sample, bodies, maxSamples);
            Histogram(RequestBytes, c, IstioCounts.RequestBytesOffset, c.RequestBytesSum, ref sample, bodies, maxSamples);
            Histogram(ResponseBytes, c, IstioCounts.ResponseBytesOffset, c.ResponseBytesSum, ref sample, bodies, maxSamples);
        }

        if (_samples > 0)
        {
            bodies.Add(Finish());
        }

        return bodies;
    }

    private void Histogram(HistogramNames names, IstioCounts c, int offset, double sum, ref Sample sample, List<(byte[] Body, int Samples)> bodies, int maxSamples)
    {
        long cumulative = 0;
        for (var i = 0; i < IstioNames.Buckets; i++)
        {
            cumulative += c.Buckets[offset + i];
            Add(names.Bucket, LeLabels[i], cumulative, ref sample, bodies, maxSamples);
        }

        Add(names.Sum, [], sum, ref sample, bodies, maxSamples);
        Add(names.Count, [], cumulative, ref sample, bodies, maxSamples);
    }

    private void Add(byte[] nameLabel, byte[] leLabel, double value, ref Sample sample, List<(byte[] Body, int Samples)> bodies, int maxSamples)
    {
        sample.Value = value;
        var sampleBytes = sample.Length;
        var length = nameLabel.Length + _beforeLe + leLabel.Length + _afterLe + 1 + VarintLength((uint)sampleBytes) + sampleBytes;
        Ensure(1 + VarintLength((uint)length) + length);

        var span = _body.AsSpan(_length);
        var at = 0;
        span[at++] = TimeSeriesTag;
        at += WriteVarint(span[at..], (ulong)length);
        nameLabel.CopyTo(span[at..]);
        at += nameLabel.Length;
        _labels.AsSpan(0, _beforeLe).CopyTo(span[at..]);
        at += _beforeLe;
        leLabel.CopyTo(span[at..]);
        at += leLabel.Length;
        _labels.AsSpan(_beforeLe, _afterLe).CopyTo(span[at..]);
        at += _afterLe;
        span[at++] = SampleTag;
        at += WriteVarint(span[at..], (ulong)sampleBytes);
        at += sample.Write(span[at..]);
        _length += at;

        if (++_samples >= maxSamples)
        {
            bodies.Add(Finish());
            Start();
        }
    }

    /// <summary>The series' labels in name order, split where <c>le</c> goes; <c>__name__</c> sorts first and is added per time series.</summary>
    private void EncodeLabels(IstioSeries series, byte[] replicaLabel)
    {
        var at = 0;
        _beforeLe = -1;
        foreach (var index in RemoteWriteRequests.SortedWithLe)
        {
            if (index == RemoteWriteRequests.LeIndex)
            {
                _beforeLe = at;
                continue;
            }

            if (index == RemoteWriteRequests.ReplicaIndex)
            {
                EnsureLabels(at + replicaLabel.Length);
                replicaLabel.CopyTo(_labels.AsSpan(at));
                at += replicaLabel.Length;
                continue;
            }

            // Empty values are absent labels in Prometheus' model.
            var v = series.Values[index];
            if (v.Length > 0 && IstioSeries.HasLabel(series.Tcp, index))
            {
                var name = IstioNames.Labels[index];
                EnsureLabels(at + MaxLabelLength(name, v));
                at += WriteLabel(_labels.AsSpan(at), name, v);
            }
        }

        _afterLe = at - _beforeLe;
    }

    private void Start()
    {
        _length = 0;
        _samples = 0;
    }

    private (byte[] Body, int Samples) Finish()
    {
        Ensure(Metadata.Length);
        Metadata.CopyTo(_body.AsSpan(_length));
        _length += Metadata.Length;
        var bound = Snappier.Snappy.GetMaxCompressedLength(_length);
        if (_compressed.Length < bound)
        {
            _compressed = new byte[Math.Max(bound, _compressed.Length * 2)];
        }

        var n = Snappier.Snappy.Compress(_body.AsSpan(0, _length), _compressed);
        return (_compressed.AsSpan(0, n).ToArray(), _samples);
    }

    private void Ensure(int more)
    {
        if (_length + more > _body.Length)
        {
            Array.Resize(ref _body, Math.Max(_body.Length * 2, _length + more));
        }
    }

    private void EnsureLabels(int length)
    {
        if (length > _labels.Length)
        {
            Array.Resize(ref _labels, Math.Max(_labels.Length * 2, length));
        }
    }

    private static int MaxLabelLength(string name, string value) =>
        1 + 5 + 1 + 5 + Encoding.UTF8.GetMaxByteCount(name.Length) + 1 + 5 + Encoding.UTF8.GetMaxByteCount(value.Length);

    /// <summary>A <c>Label</c> field of a <c>TimeSeries</c>: tag, length, name and value.</summary>
    private static int WriteLabel(Span<byte> span, string name, string value)
    {
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        var valueBytes = Encoding.UTF8.GetByteCount(value);
        var inner = Field(nameBytes) + Field(valueBytes);
        var at = 0;
        span[at++] = LabelTag;
        at += WriteVarint(span[at..], (ulong)inner);
        at += WriteString(span[at..], NameTag, name, nameBytes);
        at += WriteString(span[at..], ValueTag, value, valueBytes);
        return at;

        // An empty string is left out, as proto3 leaves defaults out.
        static int Field(int bytes) => bytes == 0 ? 0 : 1 + VarintLength((uint)bytes) + bytes;
    }

    private static int WriteString(Span<byte> span, byte tag, string value, int bytes)
    {
        if (bytes == 0)
        {
            return 0;
        }

        span[0] = tag;
        var at = 1 + WriteVarint(span[1..], (ulong)bytes);
        return at + Encoding.UTF8.GetBytes(value, span[at..]);
    }

    private static byte[] Label(string name, string value)
    {
        var buffer = new byte[MaxLabelLength(name, value)];
        return buffer.AsSpan(0, WriteLabel(buffer, name, value)).ToArray();
    }

    private static byte[] NameLabel(string name) => Label(RemoteWriteRequests.NameLabel, name);

    private static byte[] MetadataBytes()
    {
        var buffer = new List<byte>();
        Span<byte> varint = stackalloc byte[10];
        foreach (var (family, type) in RemoteWriteRequests.MetadataFamilies)
        {
            var name = Encoding.UTF8.GetBytes(family);
            var inner = new List<byte> { MetadataTypeTag };
            inner.AddRange(varint[..WriteVarint(varint, (ulong)type)]);
            inner.Add(MetadataNameTag);
            inner.AddRange(varint[..WriteVarint(varint, (ulong)name.Length)]);
            inner.AddRange(name);
            buffer.Add(MetadataTag);
            buffer.AddRange(varint[..WriteVarint(varint, (ulong)inner.Count)]);
            buffer.AddRange(inner);
        }

        return [.. buffer];
    }

    private static int VarintLength(ulong value) => Google.Protobuf.CodedOutputStream.ComputeRawVarint64Size(value);

    private static int WriteVarint(Span<byte> span, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        return n;
    }

    /// <summary>A <c>Sample</c>: the value and the timestamp, each omitted when 0 (proto3 leaves defaults out).</summary>
    private struct Sample
    {
        private readonly long _timestampMs;
        private readonly int _timestampBytes;

        public Sample(long timestampMs)
        {
            _timestampMs = timestampMs;
            _timestampBytes = timestampMs == 0 ? 0 : 1 + VarintLength((ulong)timestampMs);
        }

        public double Value;

        public readonly int Length => (Value != 0D ? 9 : 0) + _timestampBytes;

        public readonly int Write(Span<byte> span)
        {
            var at = 0;
            if (Value != 0D)
            {
                span[at++] = SampleValueTag;
                BinaryPrimitives.WriteDoubleLittleEndian(span[at..], Value);
                at += 8;
            }

            if (_timestampBytes > 0)
            {
                span[at++] = SampleTimestampTag;
                at += WriteVarint(span[at..], (ulong)_timestampMs);
            }

            return at;
        }
    }

    /// <summary>A histogram family's three <c>__name__</c> labels, encoded.</summary>
    private sealed class HistogramNames(string family)
    {
        public byte[] Bucket { get; } = NameLabel(family + "_bucket");

        public byte[] Sum { get; } = NameLabel(family + "_sum");

        public byte[] Count { get; } = NameLabel(family + "_count");
    }
}

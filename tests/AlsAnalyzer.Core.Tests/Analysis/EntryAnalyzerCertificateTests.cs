using AlsAnalyzer.Core.Analysis;
using AlsAnalyzer.Core.Decoding;
using AlsAnalyzer.Core.Model;
using AlsAnalyzer.Core.Tests.Support;
using AlsAnalyzer.Testing;
using Envoy.Data.Accesslog.V3;
using SubjectAltName = Envoy.Data.Accesslog.V3.TLSProperties.Types.CertificateProperties.Types.SubjectAltName;
using static AlsAnalyzer.Core.Tests.Analysis.EntryAnalyzerArrange;

namespace AlsAnalyzer.Core.Tests.Analysis;

/// <summary>Callers named by their certificate's SPIFFE identity, and mutual TLS told from the certificates.</summary>
public sealed class EntryAnalyzerCertificateTests : EntryAnalyzerFixture
{
    [Fact]
    public void AnalyzeHttp_InboundWithoutPeerMetadataButSpiffeCertificate_CallerNamedByServiceAccount()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Encoding = PeerEncoding.None });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.Equal(NodeRef.ServiceAccount("default", "productpage"), r.Source);
        Assert.Equal("unknown:default/productpage", r.Source.Id);
        Assert.Empty(r.SourceInstance);
        Assert.Equal(1, Tally.Unattributed);
    }

    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart", "unknown:shop/cart")]
    [InlineData("spiffe://td.example/ns/a-b/sa/c.d", "unknown:a-b/c.d")]
    [InlineData("spiffe://cluster.local/ns/shop", "unknown")]
    [InlineData("spiffe://cluster.local/ns//sa/cart", "unknown")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/", "unknown")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart/extra", "unknown")]
    [InlineData("spiffe://cluster.local/namespace/shop/serviceaccount/cart", "unknown")]
    [InlineData("https://cluster.local/ns/shop/sa/cart", "unknown")]
    [InlineData("", "unknown")]
    public void SpiffeCaller_PeerUriSan_NamespaceAndServiceAccountOrUnknown(string uri, string expectedId)
    {
        // Arrange
        var tls = new TLSProperties { PeerCertificateProperties = new TLSProperties.Types.CertificateProperties() };
        tls.PeerCertificateProperties.SubjectAltName.Add(new SubjectAltName { Dns = "ignored.example" });
        tls.PeerCertificateProperties.SubjectAltName.Add(new SubjectAltName { Uri = uri });

        // Act
        var caller = EntryAnalyzer.SpiffeCaller(PeerSpiffe(tls));

        // Assert
        Assert.Equal(expectedId, caller.Id);
        Assert.True(caller.IsUnknown);
    }

    [Fact]
    public void SpiffeCaller_NoTlsOrNoPeerCertificate_Unknown()
    {
        // Act + Assert
        Assert.Equal(NodeRef.Unknown, EntryAnalyzer.SpiffeCaller(PeerSpiffe(null)));
        Assert.Equal(NodeRef.Unknown, EntryAnalyzer.SpiffeCaller(PeerSpiffe(new TLSProperties())));
    }

    /// <summary>The SPIFFE URI the reference decoder takes from an entry with these TLS properties.</summary>
    private static string PeerSpiffe(TLSProperties? tls)
    {
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TlsProperties = tls;
        return ReferenceFacts.Http(entry, decodePeers: false).PeerSpiffe;
    }

    [Fact]
    public void AnalyzeHttp_InboundWithSpiffePeerAndLocalCert_MutualTls()
    {
        // Arrange
        var entry = Calls.Inbound(Call());

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.True(r.TlsKnown);
        Assert.True(r.Mtls);
    }

    [Fact]
    public void AnalyzeHttp_InboundPlaintext_TlsKnownNotMutual()
    {
        // Arrange
        var entry = Calls.Inbound(Call() with { Mtls = false });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        var r = Assert.Single(Sink.Records);
        Assert.True(r.TlsKnown);
        Assert.False(r.Mtls);
    }

    [Fact]
    public void AnalyzeHttp_PeerCertificateWithDnsSanOnly_NotMutual()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        var peerCert = entry.CommonProperties.TlsProperties.PeerCertificateProperties;
        peerCert.SubjectAltName.Clear();
        peerCert.SubjectAltName.Add(new SubjectAltName { Dns = "productpage.default.svc" });

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.False(Assert.Single(Sink.Records).Mtls);
    }

    [Fact]
    public void AnalyzeHttp_PeerSpiffeButNoLocalCertificate_NotMutual()
    {
        // Arrange
        var entry = Calls.Inbound(Call());
        entry.CommonProperties.TlsProperties.LocalCertificateProperties = null;

        // Act
        Analyzer.AnalyzeHttp(Sidecar(TestMesh.ReviewsV1), entry, Clock, Tally, Sink);

        // Assert
        Assert.False(Assert.Single(Sink.Records).Mtls);
    }
}

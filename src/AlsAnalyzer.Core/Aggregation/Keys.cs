using AlsAnalyzer.Core.Model;

namespace AlsAnalyzer.Core.Aggregation;

internal readonly record struct EdgeKey(NodeRef Source, NodeRef Target, TrafficProtocol Protocol);

internal readonly record struct EndpointKey(NodeRef Service, TrafficProtocol Protocol, string Endpoint);

internal readonly record struct InstanceKey(NodeRef Service, string Instance);

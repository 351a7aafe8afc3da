using System.Net;
using System.Text;
using System.Text.Json;
using k8s.Models;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>The <c>Status</c> objects the API server answers failures with (and sends in watch ERROR events).</summary>
internal static class KubeStatus
{
    public static V1Status Failure(HttpStatusCode code, string reason, string message, V1StatusDetails? details = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Status",
        Metadata = new V1ListMeta(),
        Status = "Failure",
        Message = message,
        Reason = reason,
        Details = details,
        Code = (int)code,
    };

    /// <summary>
    /// The Status as kube-apiserver writes it (Go field order). Written by hand: KubernetesClient's V1Status
    /// converter only reads (its Write throws NotImplementedException).
    /// </summary>
    public static string Json(V1Status status)
    {
        ArgumentNullException.ThrowIfNull(status);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Status");
            w.WriteString("apiVersion", "v1");
            w.WriteStartObject("metadata");
            if (status.Metadata?.ContinueProperty is { } token)
            {
                w.WriteString("continue", token);
            }

            w.WriteEndObject();
            w.WriteString("status", status.Status ?? "Failure");
            WriteIfSet(w, "message", status.Message);
            WriteIfSet(w, "reason", status.Reason);
            if (status.Details is { } d)
            {
                w.WriteStartObject("details");
                WriteIfSet(w, "name", d.Name);
                WriteIfSet(w, "group", d.Group);
                WriteIfSet(w, "kind", d.Kind);
                if (d.Causes is { Count: > 0 } causes)
                {
                    w.WriteStartArray("causes");
                    foreach (var c in causes)
                    {
                        w.WriteStartObject();
                        WriteIfSet(w, "reason", c.Reason);
                        WriteIfSet(w, "message", c.Message);
                        WriteIfSet(w, "field", c.Field);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                if (d.RetryAfterSeconds is { } retry)
                {
                    w.WriteNumber("retryAfterSeconds", retry);
                }

                w.WriteEndObject();
            }

            if (status.Code is { } code)
            {
                w.WriteNumber("code", code);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The reason a real server gives for a status code.</summary>
    public static string ReasonFor(HttpStatusCode code) => code switch
    {
        HttpStatusCode.BadRequest => "BadRequest",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "NotFound",
        HttpStatusCode.MethodNotAllowed => "MethodNotAllowed",
        HttpStatusCode.Conflict => "Conflict",
        HttpStatusCode.Gone => "Expired",
        HttpStatusCode.UnprocessableEntity => "Invalid",
        HttpStatusCode.TooManyRequests => "TooManyRequests",
        HttpStatusCode.ServiceUnavailable => "ServiceUnavailable",
        HttpStatusCode.GatewayTimeout => "Timeout",
        _ => "InternalError",
    };

    /// <summary>The message a real server gives for an injected failure of a status code.</summary>
    public static string MessageFor(HttpStatusCode code, FakeKubeResource resource) => code switch
    {
        HttpStatusCode.Gone => "The resourceVersion for the provided list is too old.",
        HttpStatusCode.TooManyRequests => "Too many requests, please try again later.",
        HttpStatusCode.ServiceUnavailable => "the server is currently unable to handle the request",
        HttpStatusCode.GatewayTimeout => "the server was unable to return a response in the time allotted, but may still be processing the request",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.NotFound => "the server could not find the requested resource",
        _ => $"an error on the server (\"injected failure\") has prevented the request from succeeding (get {resource.QualifiedName})",
    };

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            writer.WriteString(name, value);
        }
    }
}

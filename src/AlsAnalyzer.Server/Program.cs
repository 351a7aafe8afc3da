using AlsAnalyzer.Server.Hosting;
using Microsoft.Extensions.Options;

try
{
    var app = AlsHost.Build(args);
    GcHeapLimit.Apply(app.Services);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("AlsAnalyzer: invalid configuration:").ConfigureAwait(false);
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync("  - " + failure).ConfigureAwait(false);
    }

    return 2;
}

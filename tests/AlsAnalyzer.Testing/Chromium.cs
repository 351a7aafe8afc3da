using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace AlsAnalyzer.Testing;

/// <summary>
/// A real headless Chromium (Debian's <c>chromium</c>, installed by scripts/test.sh), driven
/// over the Chrome DevTools Protocol: navigate, evaluate script, click and type through the
/// browser's input pipeline, take screenshots, and record every URL the page requests.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiver;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _nextId;

    private static readonly string[] KnownPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private Chromium(Process process, string profile, ClientWebSocket socket)
    {
        _process = process;
        _profile = profile;
        _socket = socket;
        _receiver = Task.Run(ReceiveAsync);
    }

    /// <summary>Every URL the page requested (Network.requestWillBeSent), in order.</summary>
    public ConcurrentQueue<string> RequestedUrls { get; } = new();

    /// <summary>Messages the page logged to its console or threw (uncaught exceptions).</summary>
    public ConcurrentQueue<string> Console { get; } = new();

    public static string Executable =>
        Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } path ? path
        : KnownPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: scripts/test.sh installs Debian's chromium package (or set CHROMIUM).");

    public static async Task<Chromium> LaunchAsync(int width = 1440, int height = 900, CancellationToken cancellationToken = default)
    {
        var profile = Directory.CreateTempSubdirectory("als-chromium-").FullName;
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--no-first-run", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
            "--remote-debugging-port=0", $"--window-size={width},{height}", $"--user-data-dir={profile}", "about:blank",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Chromium writes the port it picked, and the browser's endpoint, to this file.
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            string[] lines = [];
            while (lines.Length < 2)
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"chromium did not open its DevTools port (exited: {process.HasExited})");
                }

                await Task.Delay(100, cancellationToken);
                if (File.Exists(portFile))
                {
                    lines = (await File.ReadAllLinesAsync(portFile, cancellationToken)).Where(l => l.Length > 0).ToArray();
                }
            }

            using var http = new HttpClient();
            var targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{lines[0]}/json/list", cancellationToken)).RootElement;
            var page = targets.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            await socket.ConnectAsync(new Uri(page.GetProperty("webSocketDebuggerUrl").GetString()!), cancellationToken);
            var chromium = new Chromium(process, profile, socket);
            await chromium.SendAsync("Page.enable");
            await chromium.SendAsync("Runtime.enable");
            await chromium.SendAsync("Network.enable");
            return chromium;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    public async Task<JsonElement> SendAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = done;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, true, _stop.Token);
        }
        finally
        {
            _sendLock.Release();
        }

        return await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Loads <paramref name="url"/> and waits for its load event.</summary>
    public async Task NavigateAsync(string url)
    {
        await SendAsync("Page.navigate", new { url });
        await WaitForAsync("document.readyState === 'complete'");
    }

    /// <summary>Evaluates an expression in the page (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result.TryGetProperty("exceptionDetails", out var error))
        {
            throw new InvalidOperationException($"page script failed: {error}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Polls until <paramref name="condition"/> is truthy in the page.</summary>
    public async Task WaitForAsync(string condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await EvaluateAsync($"!!({condition})");
            if (value.ValueKind == JsonValueKind.True)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the page never satisfied: {condition}; console: {string.Join(" | ", Console)}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Clicks the middle of the first element <paramref name="selector"/> matches, with real mouse events.</summary>
    public async Task ClickAsync(string selector)
    {
        var box = await EvaluateAsync($$"""
            (() => {
              const e = document.querySelector({{JsonSerializer.Serialize(selector)}});
              if (!e) return null;
              e.scrollIntoView({ block: 'center', inline: 'center' });
              const r = e.getBoundingClientRect();
              return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
            })()
            """);
        if (box.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"nothing matches {selector}");
        }

        var x = box.GetProperty("x").GetDouble();
        var y = box.GetProperty("y").GetDouble();
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseMoved", x, y });
        await SendAsync("Input.dispatchMouseEvent", new { type = "mousePressed", x, y, button = "left", clickCount = 1 });
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseReleased", x, y, button = "left", clickCount = 1 });
    }

    /// <summary>Presses a key (<c>Enter</c>, <c>Tab</c>, <c>Escape</c>) on the focused element.</summary>
    public async Task PressAsync(string key, int keyCode, string? text = null)
    {
        object down = text is null
            ? new { type = "rawKeyDown", key, code = key, windowsVirtualKeyCode = keyCode }
            : new { type = "keyDown", key, code = key, windowsVirtualKeyCode = keyCode, text };
        await SendAsync("Input.dispatchKeyEvent", down);
        await SendAsync("Input.dispatchKeyEvent", new { type = "keyUp", key, code = key, windowsVirtualKeyCode = keyCode });
    }

    /// <summary>Turns the mouse wheel over the middle of the first element <paramref name="selector"/> matches.</summary>
    public async Task WheelAsync(string selector, double deltaY)
    {
        var box = await EvaluateAsync($$"""
            (() => {
              const e = document.querySelector({{JsonSerializer.Serialize(selector)}});
              if (!e) return null;
              const r = e.getBoundingClientRect();
              return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
            })()
            """);
        if (box.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"nothing matches {selector}");
        }

        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseWheel", x = box.GetProperty("x").GetDouble(), y = box.GetProperty("y").GetDouble(), deltaX = 0, deltaY });
    }

    /// <summary>Types <paramref name="text"/> into the focused element, as an input method would.</summary>
    public Task TypeAsync(string text) => SendAsync("Input.insertText", new { text });

    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new { format = "png" });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            _socket.Abort();
            _socket.Dispose();
            await _receiver.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Closing.
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an exiting child process; the temp directory is left.
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var read = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (read.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, read.Count);
                if (!read.EndOfMessage)
                {
                    continue;
                }

                Dispatch(JsonDocument.Parse(message.ToArray()).RootElement);
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // Closing.
        }
        finally
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetCanceled();
            }
        }
    }

    private void Dispatch(JsonElement message)
    {
        if (message.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var done))
        {
            if (message.TryGetProperty("error", out var error))
            {
                done.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
            }
            else
            {
                done.TrySetResult(message.GetProperty("result").Clone());
            }

            return;
        }

        if (!message.TryGetProperty("method", out var method))
        {
            return;
        }

        var p = message.GetProperty("params");
        switch (method.GetString())
        {
            case "Network.requestWillBeSent":
                RequestedUrls.Enqueue(p.GetProperty("request").GetProperty("url").GetString()!);
                break;
            case "Runtime.consoleAPICalled":
                Console.Enqueue(string.Join(' ', p.GetProperty("args").EnumerateArray().Select(a => a.TryGetProperty("value", out var v) ? v.ToString() : a.GetProperty("type").GetString())));
                break;
            case "Runtime.exceptionThrown":
                Console.Enqueue("exception: " + p.GetProperty("exceptionDetails").ToString());
                break;
        }
    }
}

# AlsAnalyzer server image: build with the official .NET SDK, run on the official ASP.NET
# Core runtime, as a non-root user, with a read-only root file system.
#   docker build -t alsanalyzer:latest .
# The SDK version follows global.json; the runtime is the 10.0 line the SDK targets.
ARG SDK_VERSION=10.0.401
ARG RUNTIME_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${SDK_VERSION} AS build
WORKDIR /src
# Restore first, from the project files alone, so the package layer is reused while only code changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/AlsAnalyzer.Core/AlsAnalyzer.Core.csproj src/AlsAnalyzer.Core/
COPY src/AlsAnalyzer.Server/AlsAnalyzer.Server.csproj src/AlsAnalyzer.Server/
RUN dotnet restore src/AlsAnalyzer.Server/AlsAnalyzer.Server.csproj
COPY protos/ protos/
COPY src/ src/
RUN dotnet publish src/AlsAnalyzer.Server/AlsAnalyzer.Server.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${RUNTIME_VERSION} AS runtime
WORKDIR /app
COPY --from=build /app ./
# The server binds its own endpoints (Als__GrpcPort, Als__HttpPort); the base image's
# ASPNETCORE_HTTP_PORTS would only add a conflicting default.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_NOLOGO=1
# gRPC ingest (Envoy ALS and Metrics Service, HTTP/2 cleartext) and the HTTP API (/metrics, /healthz, /readyz).
EXPOSE 11800 8080
# The aggregate snapshots (Als__DataDirectory, by default "data" under the working directory),
# owned by the user the server runs as.
RUN mkdir /app/data && chown 1654:1654 /app/data
# The writable paths under a read-only root file system: /tmp for the runtime (diagnostics
# sockets, temporary files) and /app/data for the snapshots, so a restart keeps the topology.
VOLUME ["/tmp", "/app/data"]
# The non-root 'app' user (uid 1654) of the official .NET images.
USER 1654
ENTRYPOINT ["dotnet", "AlsAnalyzer.Server.dll"]

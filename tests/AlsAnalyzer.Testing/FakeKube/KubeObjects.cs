using System.Globalization;
using AlsAnalyzer.Server.Kubernetes;
using k8s.Models;

namespace AlsAnalyzer.Testing.FakeKube;

/// <summary>
/// Objects shaped as <c>kubectl get -o json</c> prints them from a cluster running Istio: controller-owned
/// pods with the labels, owner references and status controllers and the kubelet set, Services,
/// EndpointSlices as the EndpointSlice controller writes them, ReplicaSets and Nodes. Generated name
/// parts and uids are derived from the arguments, so the same call gives the same object.
/// </summary>
public static class KubeObjects
{
    public const string IstioProxyImage = "docker.io/istio/proxyv2:1.27.1";

    private const string TlsModeLabel = "security.istio.io/tlsMode";
    private const string CanonicalNameLabel = "service.istio.io/canonical-name";
    private const string CanonicalRevisionLabel = "service.istio.io/canonical-revision";

    /// <summary>When the objects were created: a whole second an hour ago, as the API server stores times.</summary>
    private static DateTime Created => TruncateToSeconds(DateTime.UtcNow.AddHours(-1));

    /// <summary>A Ready Linux worker node with InternalIP and Hostname addresses and the well-known topology labels.</summary>
    public static V1Node Node(string name, string internalIp, string zone = "zone-a", string region = "region-1")
    {
        var created = Created;
        return new V1Node
        {
            ApiVersion = V1Node.KubeApiVersion,
            Kind = V1Node.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Uid = KubeNames.Uid("node/" + name),
                CreationTimestamp = created,
                Labels = new Dictionary<string, string>
                {
                    ["beta.kubernetes.io/arch"] = "amd64",
                    ["beta.kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = "amd64",
                    ["kubernetes.io/hostname"] = name,
                    ["kubernetes.io/os"] = "linux",
                    ["node.kubernetes.io/instance-type"] = "n2-standard-4",
                    ["topology.kubernetes.io/region"] = region,
                    ["topology.kubernetes.io/zone"] = zone,
                },
                Annotations = new Dictionary<string, string>
                {
                    ["node.alpha.kubernetes.io/ttl"] = "0",
                    ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true",
                },
            },
            Spec = new V1NodeSpec
            {
                PodCIDR = PodCidr(internalIp),
                PodCIDRs = [PodCidr(internalIp)],
                ProviderID = $"gce://fake-project/{zone}/{name}",
            },
            Status = new V1NodeStatus
            {
                Addresses =
                [
                    new V1NodeAddress { Type = "InternalIP", Address = internalIp },
                    new V1NodeAddress { Type = "Hostname", Address = name },
                ],
                Allocatable = Quantities(("cpu", "3920m"), ("ephemeral-storage", "47060071478"), ("memory", "15214208Ki"), ("pods", "110")),
                Capacity = Quantities(("cpu", "4"), ("ephemeral-storage", "101430960Ki"), ("memory", "16390784Ki"), ("pods", "110")),
                Conditions =
                [
                    NodeCondition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", created),
                    NodeCondition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", created),
                    NodeCondition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", created),
                    NodeCondition("Ready", "True", "KubeletReady", "kubelet is posting ready status", created),
                ],
                DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = 10250 } },
                NodeInfo = new V1NodeSystemInfo
                {
                    Architecture = "amd64",
                    BootID = KubeNames.Uid("boot/" + name),
                    ContainerRuntimeVersion = "containerd://2.0.4",
                    KernelVersion = "6.6.93+",
                    KubeProxyVersion = "v1.34.1",
                    KubeletVersion = "v1.34.1",
                    MachineID = KubeNames.Hex64("machine/" + name)[..32],
                    OperatingSystem = "linux",
                    OsImage = "Ubuntu 24.04.2 LTS",
                    SystemUUID = KubeNames.Uid("system/" + name),
                },
            },
        };
    }

    /// <summary>The pod-template-hash a Deployment's ReplicaSet and pods carry (10 characters).</summary>
    public static string PodTemplateHash(string ns, string deployment, string version = "v1") =>
        KubeNames.Suffix($"{ns}/{deployment}/{version}", 10);

    /// <summary>The ReplicaSet <c>deployment-hash</c> a Deployment owns, with its pods' selector and template.</summary>
    public static V1ReplicaSet ReplicaSet(string ns, string deployment, string version = "v1", int replicas = 1)
    {
        var hash = PodTemplateHash(ns, deployment, version);
        var name = $"{deployment}-{hash}";
        var labels = new Dictionary<string, string> { ["app"] = deployment, ["pod-template-hash"] = hash, ["version"] = version };
        return new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = V1ReplicaSet.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Uid = KubeNames.Uid($"replicaset/{ns}/{name}"),
                CreationTimestamp = Created,
                Generation = 1,
                Labels = new Dictionary<string, string>(labels),
                Annotations = new Dictionary<string, string>
                {
                    ["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/max-replicas"] = (replicas + 1).ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/revision"] = "1",
                },
                OwnerReferences = [Owner("apps/v1", "Deployment", deployment, KubeNames.Uid($"deployment/{ns}/{deployment}"))],
            },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        Containers = [AppContainer(deployment, version)],
                        DnsPolicy = "ClusterFirst",
                        RestartPolicy = "Always",
                        SchedulerName = "default-scheduler",
                        ServiceAccountName = deployment,
                        TerminationGracePeriodSeconds = 30,
                    },
                },
            },
            Status = new V1ReplicaSetStatus
            {
                AvailableReplicas = replicas,
                FullyLabeledReplicas = replicas,
                ObservedGeneration = 1,
                ReadyReplicas = replicas,
                Replicas = replicas,
            },
        };
    }

    /// <summary>
    /// A Running, Ready, Istio-injected pod <c>deployment-hash-xxxxx</c> owned by the ReplicaSet
    /// <see cref="ReplicaSet"/> returns, labelled app, version, pod-template-hash and the Istio labels.
    /// </summary>
    public static V1Pod DeploymentPod(string ns, string deployment, string podIp, string nodeName, string hostIp, string version = "v1", string? serviceAccount = null, int replica = 0)
    {
        var hash = PodTemplateHash(ns, deployment, version);
        var replicaSet = $"{deployment}-{hash}";
        var name = $"{replicaSet}-{KubeNames.Suffix($"{ns}/{replicaSet}/{replica}", 5)}";
        var labels = new Dictionary<string, string>
        {
            ["app"] = deployment,
            ["pod-template-hash"] = hash,
            [TlsModeLabel] = "istio",
            [CanonicalNameLabel] = deployment,
            [CanonicalRevisionLabel] = version,
            ["version"] = version,
        };
        var owner = Owner("apps/v1", "ReplicaSet", replicaSet, KubeNames.Uid($"replicaset/{ns}/{replicaSet}"));
        var pod = RunningPod(ns, name, labels, owner, podIp, nodeName, hostIp, serviceAccount ?? deployment, [AppContainer(deployment, version)]);
        pod.Metadata.GenerateName = replicaSet + "-";
        return InjectSidecar(pod, deployment);
    }

    /// <summary>A Running, Istio-injected pod <c>statefulset-N</c> with the StatefulSet labels, hostname and subdomain.</summary>
    public static V1Pod StatefulSetPod(string ns, string statefulSet, int ordinal, string podIp, string nodeName, string hostIp, string? serviceName = null)
    {
        var name = $"{statefulSet}-{ordinal.ToString(CultureInfo.InvariantCulture)}";
        var labels = new Dictionary<string, string>
        {
            ["app"] = statefulSet,
            ["apps.kubernetes.io/pod-index"] = ordinal.ToString(CultureInfo.InvariantCulture),
            ["controller-revision-hash"] = $"{statefulSet}-{KubeNames.Suffix($"{ns}/{statefulSet}/revision", 10)}",
            [TlsModeLabel] = "istio",
            [CanonicalNameLabel] = statefulSet,
            [CanonicalRevisionLabel] = "latest",
            ["statefulset.kubernetes.io/pod-name"] = name,
        };
        var owner = Owner("apps/v1", "StatefulSet", statefulSet, KubeNames.Uid($"statefulset/{ns}/{statefulSet}"));
        var pod = RunningPod(ns, name, labels, owner, podIp, nodeName, hostIp, statefulSet, [AppContainer(statefulSet, "latest")]);
        pod.Metadata.GenerateName = statefulSet + "-";
        pod.Spec.Hostname = name;
        pod.Spec.Subdomain = serviceName ?? statefulSet;
        return InjectSidecar(pod, statefulSet);
    }

    /// <summary>A Running pod <c>daemonset-xxxxx</c> of a DaemonSet, pinned to its node by affinity (not injected, as node agents are not).</summary>
    public static V1Pod DaemonSetPod(string ns, string daemonSet, string podIp, string nodeName, string hostIp)
    {
        var name = $"{daemonSet}-{KubeNames.Suffix($"{ns}/{daemonSet}/{nodeName}", 5)}";
        var labels = new Dictionary<string, string>
        {
            ["app"] = daemonSet,
            ["controller-revision-hash"] = KubeNames.Suffix($"{ns}/{daemonSet}/revision", 10),
            ["pod-template-generation"] = "1",
        };
        var owner = Owner("apps/v1", "DaemonSet", daemonSet, KubeNames.Uid($"daemonset/{ns}/{daemonSet}"));
        var pod = RunningPod(ns, name, labels, owner, podIp, nodeName, hostIp, daemonSet, [AppContainer(daemonSet, "latest")]);
        pod.Metadata.GenerateName = daemonSet + "-";
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms =
                    [
                        new V1NodeSelectorTerm
                        {
                            MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [nodeName] }],
                        },
                    ],
                },
            },
        };
        pod.Spec.Tolerations =
        [
            .. pod.Spec.Tolerations,
            new V1Toleration { Key = "node.kubernetes.io/disk-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new V1Toleration { Key = "node.kubernetes.io/memory-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new V1Toleration { Key = "node.kubernetes.io/pid-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new V1Toleration { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" },
        ];
        return pod;
    }

    /// <summary>A DaemonSet pod with <c>hostNetwork: true</c>: its podIP and podIPs are the node's IP (as kube-proxy's or a CNI agent's).</summary>
    public static V1Pod HostNetworkPod(string ns, string daemonSet, string nodeName, string nodeIp)
    {
        var pod = DaemonSetPod(ns, daemonSet, nodeIp, nodeName, nodeIp);
        pod.Spec.HostNetwork = true;
        pod.Spec.DnsPolicy = "ClusterFirstWithHostNet";
        pod.Spec.Tolerations = [.. pod.Spec.Tolerations, new V1Toleration { Key = "node.kubernetes.io/network-unavailable", OperatorProperty = "Exists", Effect = "NoSchedule" }];
        return pod;
    }

    /// <summary>A Running pod <c>job-xxxxx</c> of a Job (restartPolicy Never, job labels, tracking finalizer).</summary>
    public static V1Pod JobPod(string ns, string job, string podIp, string nodeName, string hostIp)
    {
        var jobUid = KubeNames.Uid($"job/{ns}/{job}");
        var name = $"{job}-{KubeNames.Suffix($"{ns}/{job}/pod", 5)}";
        var labels = new Dictionary<string, string>
        {
            ["batch.kubernetes.io/controller-uid"] = jobUid,
            ["batch.kubernetes.io/job-name"] = job,
            ["controller-uid"] = jobUid,
            ["job-name"] = job,
        };
        var pod = RunningPod(ns, name, labels, Owner("batch/v1", "Job", job, jobUid), podIp, nodeName, hostIp, "default", [AppContainer(job, "latest")]);
        pod.Metadata.GenerateName = job + "-";
        pod.Metadata.Finalizers = ["batch.kubernetes.io/job-tracking"];
        pod.Metadata.Annotations = new Dictionary<string, string> { ["batch.kubernetes.io/job-completion-index"] = "0" };
        pod.Spec.RestartPolicy = "Never";
        return pod;
    }

    /// <summary>A Job pod that ran to completion: phase Succeeded, not Ready, containers terminated with 0, podIP still set (and free for reuse).</summary>
    public static V1Pod SucceededPod(string ns, string job, string podIp, string nodeName, string hostIp)
    {
        var pod = JobPod(ns, job, podIp, nodeName, hostIp);
        var finished = TruncateToSeconds(DateTime.UtcNow.AddMinutes(-30));
        pod.Metadata.Finalizers = null;
        pod.Status.Phase = "Succeeded";
        pod.Status.Conditions =
        [
            PodCondition("PodReadyToStartContainers", "False", pod.Status.StartTime!.Value),
            PodCondition("Initialized", "True", pod.Status.StartTime!.Value, "PodCompleted"),
            PodCondition("Ready", "False", finished, "PodCompleted"),
            PodCondition("ContainersReady", "False", finished, "PodCompleted"),
            PodCondition("PodScheduled", "True", pod.Status.StartTime!.Value),
        ];
        foreach (var status in pod.Status.ContainerStatuses)
        {
            status.Ready = false;
            status.Started = false;
            status.State = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ContainerID = status.ContainerID,
                    ExitCode = 0,
                    Reason = "Completed",
                    StartedAt = pod.Status.StartTime,
                    FinishedAt = finished,
                },
            };
        }

        return pod;
    }

    /// <summary>An Istio ServiceEntry for services outside the mesh: hosts, addresses (IPs or CIDRs) and static endpoint addresses.</summary>
    internal static IstioServiceEntry ServiceEntry(string ns, string name, string[] hosts, string[]? addresses = null, string[]? endpoints = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new IstioServiceEntrySpec
        {
            Hosts = hosts,
            Addresses = addresses,
            Location = "MESH_EXTERNAL",
            Resolution = endpoints is null ? "DNS" : "STATIC",
            Endpoints = endpoints?.Select(a => new IstioWorkloadEntry { Address = a }).ToList(),
        },
    };

    /// <summary>A ClusterIP Service selecting <c>app=name</c>; without ports it exposes <c>http</c> 9080.</summary>
    public static V1Service Service(string ns, string name, string clusterIp, params V1ServicePort[] ports) =>
        Service(ns, name, clusterIp, new Dictionary<string, string> { ["app"] = name }, ports);

    /// <summary>A ClusterIP Service (<paramref name="clusterIp"/> "None" makes it headless); a null selector makes one without endpoints management.</summary>
    public static V1Service Service(string ns, string name, string clusterIp, IDictionary<string, string>? selector, params V1ServicePort[] ports)
    {
        return new V1Service
        {
            ApiVersion = V1Service.KubeApiVersion,
            Kind = V1Service.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Uid = KubeNames.Uid($"service/{ns}/{name}"),
                CreationTimestamp = Created,
                Labels = new Dictionary<string, string> { ["app"] = name, ["service"] = name },
            },
            Spec = new V1ServiceSpec
            {
                ClusterIP = clusterIp,
                ClusterIPs = [clusterIp],
                InternalTrafficPolicy = "Cluster",
                IpFamilies = ["IPv4"],
                IpFamilyPolicy = "SingleStack",
                Ports = ports is { Length: > 0 } ? [.. ports] : [ServicePort("http", 9080)],
                Selector = selector is null ? null : new Dictionary<string, string>(selector),
                SessionAffinity = "None",
                Type = "ClusterIP",
            },
            Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus() },
        };
    }

    /// <summary>A Service port; the target port defaults to the port.</summary>
    public static V1ServicePort ServicePort(string name, int port, int? targetPort = null, string protocol = "TCP", string? appProtocol = null) => new()
    {
        Name = name,
        Port = port,
        Protocol = protocol,
        TargetPort = targetPort ?? port,
        AppProtocol = appProtocol,
    };

    /// <summary>An endpoint for <paramref name="pod"/> as the EndpointSlice controller writes it: its IP, node, zone and a targetRef to it.</summary>
    public static V1Endpoint Endpoint(V1Pod pod, bool ready = true, bool terminating = false, string? zone = "zone-a")
    {
        ArgumentNullException.ThrowIfNull(pod);
        return new V1Endpoint
        {
            Addresses = [pod.Status?.PodIP ?? throw new ArgumentException("the pod has no status.podIP", nameof(pod))],
            Conditions = new V1EndpointConditions { Ready = ready && !terminating, Serving = ready, Terminating = terminating },
            NodeName = pod.Spec?.NodeName,
            TargetRef = new V1ObjectReference
            {
                Kind = "Pod",
                Name = pod.Metadata.Name,
                NamespaceProperty = pod.Metadata.NamespaceProperty,
                Uid = pod.Metadata.Uid,
            },
            Zone = zone,
        };
    }

    /// <summary>The IPv4 EndpointSlice <c>service-xxxxx</c> of <paramref name="service"/> with a Ready endpoint per pod.</summary>
    public static V1EndpointSlice EndpointSlice(V1Service service, params V1Pod[] pods) =>
        EndpointSlice(service, pods.Select(p => Endpoint(p)));

    /// <summary>The IPv4 EndpointSlice <c>service-xxxxx</c> of <paramref name="service"/>, owned by it, with its ports (target port numbers).</summary>
    public static V1EndpointSlice EndpointSlice(V1Service service, IEnumerable<V1Endpoint> endpoints, int slice = 0)
    {
        ArgumentNullException.ThrowIfNull(service);
        var ns = service.Metadata.NamespaceProperty;
        var svc = service.Metadata.Name;
        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>())
        {
            ["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io",
            ["kubernetes.io/service-name"] = svc,
        };
        var name = $"{svc}-{KubeNames.Suffix($"{ns}/{svc}/slice/{slice}", 5)}";
        return new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = V1EndpointSlice.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                GenerateName = svc + "-",
                NamespaceProperty = ns,
                Uid = KubeNames.Uid($"endpointslice/{ns}/{name}"),
                CreationTimestamp = Created,
                Generation = 1,
                Labels = labels,
                Annotations = new Dictionary<string, string>
                {
                    ["endpoints.kubernetes.io/last-change-trigger-time"] = Created.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                },
                OwnerReferences = [Owner("v1", "Service", svc, service.Metadata.Uid)],
            },
            AddressType = "IPv4",
            Endpoints = [.. endpoints],
            Ports =
            [
                .. (service.Spec?.Ports ?? []).Select(p => new Discoveryv1EndpointPort
                {
                    Name = p.Name,
                    Port = int.TryParse(p.TargetPort?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var target) ? target : p.Port,
                    Protocol = p.Protocol,
                    AppProtocol = p.AppProtocol,
                }),
            ],
        };
    }

    private static V1Pod RunningPod(
        string ns,
        string name,
        Dictionary<string, string> labels,
        V1OwnerReference owner,
        string podIp,
        string nodeName,
        string hostIp,
        string serviceAccount,
        List<V1Container> containers)
    {
        var created = Created;
        var started = created.AddSeconds(1);
        var ready = created.AddSeconds(4);
        return new V1Pod
        {
            ApiVersion = V1Pod.KubeApiVersion,
            Kind = V1Pod.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Uid = KubeNames.Uid($"pod/{ns}/{name}"),
                CreationTimestamp = created,
                Labels = labels,
                OwnerReferences = [owner],
            },
            Spec = new V1PodSpec
            {
                Containers = containers,
                DnsPolicy = "ClusterFirst",
                EnableServiceLinks = true,
                NodeName = nodeName,
                PreemptionPolicy = "PreemptLowerPriority",
                Priority = 0,
                RestartPolicy = "Always",
                SchedulerName = "default-scheduler",
                SecurityContext = new V1PodSecurityContext(),
                ServiceAccount = serviceAccount,
                ServiceAccountName = serviceAccount,
                TerminationGracePeriodSeconds = 30,
                Tolerations =
                [
                    new V1Toleration { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 },
                    new V1Toleration { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 },
                ],
            },
            Status = new V1PodStatus
            {
                Phase = "Running",
                Conditions =
                [
                    PodCondition("PodReadyToStartContainers", "True", started),
                    PodCondition("Initialized", "True", started),
                    PodCondition("Ready", "True", ready),
                    PodCondition("ContainersReady", "True", ready),
                    PodCondition("PodScheduled", "True", created),
                ],
                HostIP = hostIp,
                HostIPs = [new V1HostIP { Ip = hostIp }],
                PodIP = podIp,
                PodIPs = [new V1PodIP { Ip = podIp }],
                QosClass = "BestEffort",
                StartTime = created,
                ContainerStatuses = [.. containers.Select(c => RunningStatus(c, $"{ns}/{name}", started))],
            },
        };
    }

    /// <summary>What istioctl/the injector adds: istio-init, istio-proxy, the Istio annotations and a Burstable QoS class.</summary>
    private static V1Pod InjectSidecar(V1Pod pod, string app)
    {
        var started = pod.Status.StartTime!.Value.AddSeconds(1);
        pod.Metadata.Annotations = new Dictionary<string, string>
        {
            ["istio.io/rev"] = "default",
            ["kubectl.kubernetes.io/default-container"] = app,
            ["kubectl.kubernetes.io/default-logs-container"] = app,
            ["prometheus.io/path"] = "/stats/prometheus",
            ["prometheus.io/port"] = "15020",
            ["prometheus.io/scrape"] = "true",
            ["sidecar.istio.io/status"] = """{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}""",
        };
        var init = new V1Container
        {
            Name = "istio-init",
            Image = IstioProxyImage,
            ImagePullPolicy = "IfNotPresent",
            Args = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", string.Empty, "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"],
            Resources = IstioResources(),
            TerminationMessagePath = "/dev/termination-log",
            TerminationMessagePolicy = "File",
        };
        var proxy = new V1Container
        {
            Name = "istio-proxy",
            Image = IstioProxyImage,
            ImagePullPolicy = "IfNotPresent",
            Args = ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"],
            Ports =
            [
                new V1ContainerPort { ContainerPort = 15090, Name = "http-envoy-prom", Protocol = "TCP" },
            ],
            Resources = IstioResources(),
            TerminationMessagePath = "/dev/termination-log",
            TerminationMessagePolicy = "File",
        };
        pod.Spec.InitContainers = [init];
        pod.Spec.Containers = [.. pod.Spec.Containers, proxy];
        var id = pod.Metadata.NamespaceProperty + "/" + pod.Metadata.Name;
        pod.Status.InitContainerStatuses =
        [
            new V1ContainerStatus
            {
                Name = init.Name,
                Image = init.Image,
                ImageID = "docker.io/istio/proxyv2@sha256:" + KubeNames.Hex64(init.Image),
                ContainerID = "containerd://" + KubeNames.Hex64(id + "/" + init.Name),
                Ready = true,
                RestartCount = 0,
                Started = false,
                State = new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        ContainerID = "containerd://" + KubeNames.Hex64(id + "/" + init.Name),
                        ExitCode = 0,
                        Reason = "Completed",
                        StartedAt = pod.Status.StartTime,
                        FinishedAt = started,
                    },
                },
            },
        ];
        pod.Status.ContainerStatuses = [.. pod.Status.ContainerStatuses, RunningStatus(proxy, id, started)];
        pod.Status.QosClass = "Burstable";
        return pod;
    }

    private static V1Container AppContainer(string app, string version) => new()
    {
        Name = app,
        Image = $"docker.io/istio/examples-bookinfo-{app}-{version}:1.20.3",
        ImagePullPolicy = "IfNotPresent",
        Ports = [new V1ContainerPort { ContainerPort = 9080, Protocol = "TCP" }],
        TerminationMessagePath = "/dev/termination-log",
        TerminationMessagePolicy = "File",
    };

    private static V1ContainerStatus RunningStatus(V1Container container, string podId, DateTime started) => new()
    {
        Name = container.Name,
        Image = container.Image,
        ImageID = container.Image.Split(':')[0] + "@sha256:" + KubeNames.Hex64(container.Image),
        ContainerID = "containerd://" + KubeNames.Hex64(podId + "/" + container.Name),
        Ready = true,
        RestartCount = 0,
        Started = true,
        State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = started } },
    };

    private static V1ResourceRequirements IstioResources() => new()
    {
        Limits = Quantities(("cpu", "2"), ("memory", "1Gi")),
        Requests = Quantities(("cpu", "100m"), ("memory", "128Mi")),
    };

    private static V1OwnerReference Owner(string apiVersion, string kind, string name, string uid) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = name,
        Uid = uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    private static V1PodCondition PodCondition(string type, string status, DateTime at, string? reason = null) => new()
    {
        Type = type,
        Status = status,
        LastTransitionTime = at,
        Reason = reason,
    };

    private static V1NodeCondition NodeCondition(string type, string status, string reason, string message, DateTime at) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastHeartbeatTime = at,
        LastTransitionTime = at,
    };

    private static Dictionary<string, ResourceQuantity> Quantities(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => new ResourceQuantity(v.Value));

    /// <summary>A /24 pod range per node, from the node's IP (10.128.0.5 -> 10.4.5.0/24).</summary>
    private static string PodCidr(string nodeIp) => $"10.4.{nodeIp.Split('.')[^1]}.0/24";

    private static DateTime TruncateToSeconds(DateTime t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}

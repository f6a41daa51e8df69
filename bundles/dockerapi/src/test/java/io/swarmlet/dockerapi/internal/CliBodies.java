package io.swarmlet.dockerapi.internal;

/**
 * Request bodies the docker CLI 28.2 really sent (API 1.41), captured from the CLI against
 * a recording socket: what every service test replays. IDs the CLI had looked up (secrets,
 * configs, networks) are the recording's placeholders; tests that send them to the real
 * control API replace them.
 */
final class CliBodies {

    private CliBodies() {}

    /** {@code docker service create --detach --name web --replicas 3 -p 18080:80 swarmlet/busybox:1 httpd -f -p 80}. */
    static final String CREATE_WEB = """
            {"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Args":["httpd","-f","-p","80"],\
            "Init":false,"DNSConfig":{}},"Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0},\
            "Mode":{"Replicated":{"Replicas":3}},"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,\
            "PublishedPort":18080,"PublishMode":"ingress"}]}}""";

    /**
     * {@code docker service update --image swarmlet/busybox:2 --update-parallelism 1 --update-delay 3s web}
     * (query {@code registryAuthFrom=spec&version=N}): the inspected spec, changed.
     */
    static final String UPDATE_IMAGE = """
            {"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:2","Args":["httpd","-f","-p","80"],\
            "Init":true,"StopGracePeriod":10000000000},"RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},\
            "Placement":{},"ForceUpdate":0,"Runtime":"container"},"Mode":{"Replicated":{"Replicas":3}},"UpdateConfig":{\
            "Parallelism":1,"Delay":3000000000,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},\
            "RollbackConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},\
            "EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":18080,"PublishMode":"ingress"}]}}""";

    /** {@code docker service scale web=5} (query {@code version=N}). */
    static final String SCALE_5 = """
            {"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Args":["httpd","-f","-p","80"],\
            "Init":true,"StopGracePeriod":10000000000},"RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},\
            "Placement":{},"ForceUpdate":0,"Runtime":"container"},"Mode":{"Replicated":{"Replicas":5}},"UpdateConfig":{\
            "Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},\
            "RollbackConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},\
            "EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":18080,"PublishMode":"ingress"}]}}""";

    /** {@code docker stack deploy -c compose.yml app}: service web (network app_default by name, alias web). */
    static final String STACK_WEB = """
            {"Name":"app_web","Labels":{"com.docker.stack.image":"swarmlet/busybox:1","com.docker.stack.namespace":"app"},\
            "TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Labels":{"com.docker.stack.namespace":"app"},\
            "Args":["httpd","-f","-p","80"],"Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false}},\
            "Resources":{},"Placement":{},"Networks":[{"Target":"app_default","Aliases":["web"]}],"ForceUpdate":0},\
            "Mode":{"Replicated":{"Replicas":2}},"EndpointSpec":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":18081,\
            "PublishMode":"ingress"}]}}""";

    /** The same deploy's service db: no replicas given (1), empty endpoint spec. */
    static final String STACK_DB = """
            {"Name":"app_db","Labels":{"com.docker.stack.image":"swarmlet/busybox:1","com.docker.stack.namespace":"app"},\
            "TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Labels":{"com.docker.stack.namespace":"app"},\
            "Args":["sleep","3600"],"Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false}},\
            "Resources":{},"Placement":{},"Networks":[{"Target":"app_default","Aliases":["db"]}],"ForceUpdate":0},\
            "Mode":{"Replicated":{}},"EndpointSpec":{}}""";

    /** {@code docker service create --mode replicated-job --replicas 2 --max-concurrent 1 swarmlet/busybox:1 true}. */
    static final String CREATE_JOB = """
            {"Name":"job","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Args":["true"],"Init":false,\
            "DNSConfig":{}},"Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0},\
            "Mode":{"ReplicatedJob":{"MaxConcurrent":1,"TotalCompletions":2}},"EndpointSpec":{"Mode":"vip"}}""";

    /**
     * {@code docker service create --name rich --mode global --env A=1 --label l=v --container-label c=d
     * --mount type=bind,source=/tmp,target=/data,readonly --mount type=volume,source=vol,target=/v
     * --mount type=tmpfs,target=/t --health-cmd true --health-interval 5s --health-retries 2
     * --constraint node.role==worker --placement-pref spread=node.labels.zone --limit-cpu 0.5
     * --limit-memory 64M --reserve-memory 32M --limit-pids 100 --restart-condition on-failure
     * --restart-delay 2s --restart-max-attempts 3 --restart-window 10s --update-order start-first
     * --update-failure-action rollback --update-max-failure-ratio 0.25 --rollback-parallelism 2
     * --stop-signal SIGINT --stop-grace-period 20s --host foo:1.2.3.4 --hostname h --workdir /w
     * --user nobody --tty --secret s1 --config source=c1,target=/etc/c,mode=0400 --network mynet
     * --endpoint-mode dnsrr -p mode=host,target=90,published=9090,protocol=udp swarmlet/busybox:1 sleep 1000}:
     * SECRET_ID, CONFIG_ID and NETWORK_ID stand for what the CLI looked up.
     */
    static final String CREATE_RICH = """
            {"Name":"rich","Labels":{"l":"v"},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Labels":{"c":"d"},\
            "Args":["sleep","1000"],"Hostname":"h","Env":["A=1"],"Dir":"/w","User":"nobody","Init":false,"StopSignal":"SIGINT",\
            "TTY":true,"Mounts":[{"Type":"bind","Source":"/tmp","Target":"/data","ReadOnly":true},{"Type":"volume","Source":"vol",\
            "Target":"/v"},{"Type":"tmpfs","Target":"/t"}],"StopGracePeriod":20000000000,"Healthcheck":{"Test":["CMD-SHELL","true"],\
            "Interval":5000000000,"Retries":2},"Hosts":["1.2.3.4 foo"],"DNSConfig":{},"Secrets":[{"File":{"Name":"s1","UID":"0",\
            "GID":"0","Mode":292},"SecretID":"SECRET_ID","SecretName":"s1"}],"Configs":[{"File":{"Name":"/etc/c","UID":"0","GID":"0",\
            "Mode":256},"ConfigID":"CONFIG_ID","ConfigName":"c1"}]},"Resources":{"Limits":{"NanoCPUs":500000000,\
            "MemoryBytes":67108864,"Pids":100},"Reservations":{"MemoryBytes":33554432}},"RestartPolicy":{"Condition":"on-failure",\
            "Delay":2000000000,"MaxAttempts":3,"Window":10000000000},"Placement":{"Constraints":["node.role==worker"],\
            "Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.zone"}}]},"Networks":[{"Target":"NETWORK_ID"}],\
            "ForceUpdate":0},"Mode":{"Global":{}},"UpdateConfig":{"Parallelism":1,"FailureAction":"rollback","Monitor":5000000000,\
            "MaxFailureRatio":0.25,"Order":"start-first"},"RollbackConfig":{"Parallelism":2,"FailureAction":"pause",\
            "Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},"EndpointSpec":{"Mode":"dnsrr","Ports":[{"Protocol":"udp",\
            "TargetPort":90,"PublishedPort":9090,"PublishMode":"host"}]}}""";

    /**
     * {@code docker stack deploy} of a compose service with most deploy keys (named volume, bind, secret,
     * config, healthcheck, resources, restart, update and rollback configs, host port, placement).
     */
    static final String STACK_FULL_WEB = """
            {"Name":"app_web","Labels":{"com.docker.stack.image":"swarmlet/busybox:1","com.docker.stack.namespace":"app","\
            dep":"lbl"},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Labels":{"com.docker.stack.namespac\
            e":"app","svc":"lbl"},"Args":["httpd","-f","-p","80"],"Hostname":"webhost","Env":["A=1"],"Dir":"/w","User":"no\
            body","Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false},"Init":true,"StopSign\
            al":"SIGINT","TTY":true,"Mounts":[{"Type":"volume","Source":"app_data","Target":"/data","VolumeOptions":{"Labe\
            ls":{"com.docker.stack.namespace":"app"}}},{"Type":"bind","Source":"/tmp","Target":"/host","ReadOnly":true}],"\
            StopGracePeriod":20000000000,"Healthcheck":{"Test":["CMD","true"],"Interval":5000000000,"Timeout":3000000000,"\
            StartPeriod":1000000000,"Retries":2},"Hosts":["1.2.3.4 foo"],"Secrets":[{"File":{"Name":"pw","UID":"0","GID":"\
            0","Mode":292},"SecretID":"secid1","SecretName":"app_pw"}],"Configs":[{"File":{"Name":"/etc/cfg","UID":"0","GI\
            D":"0","Mode":292},"ConfigID":"cfgid1","ConfigName":"app_cfg"}]},"Resources":{"Limits":{"NanoCPUs":500000000,"\
            MemoryBytes":67108864,"Pids":50},"Reservations":{"MemoryBytes":33554432}},"RestartPolicy":{"Condition":"on-fai\
            lure","Delay":2000000000,"MaxAttempts":3,"Window":10000000000},"Placement":{"Constraints":["node.role==worker"\
            ],"Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.zone"}}],"MaxReplicas":1},"Networks":[{"Target":"a\
            pp_default","Aliases":["web"]}],"ForceUpdate":0},"Mode":{"Replicated":{"Replicas":2}},"UpdateConfig":{"Paralle\
            lism":2,"Delay":1000000000,"FailureAction":"rollback","Monitor":3000000000,"MaxFailureRatio":0.1,"Order":"star\
            t-first"},"RollbackConfig":{"Parallelism":1,"MaxFailureRatio":0,"Order":""},"EndpointSpec":{"Mode":"vip","Port\
            s":[{"TargetPort":80,"PublishedPort":18082,"PublishMode":"host"}]}}""";

    /** The same deploy's global service. */
    static final String STACK_GLOBAL = """
            {"Name":"app_worker","Labels":{"com.docker.stack.image":"swarmlet/busybox:1","com.docker.stack.namespace":"app\
            "},"TaskTemplate":{"ContainerSpec":{"Image":"swarmlet/busybox:1","Labels":{"com.docker.stack.namespace":"app"}\
            ,"Args":["sleep","3600"],"Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false}},"\
            Resources":{},"Placement":{},"Networks":[{"Target":"app_default","Aliases":["worker"]}],"ForceUpdate":0},"Mode\
            ":{"Global":{}},"EndpointSpec":{}}""";
}

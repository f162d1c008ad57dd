/** What buildApiServer needs; `apiserver/main.ts` fills it from flags. */
import type { Storage } from './storage/interface.ts';
import type { TokenAuthenticator } from './authn/token-authenticator.ts';
import type { ApiServerMetrics } from './metrics/metrics.ts';
import type { KubeletClientConfig } from './endpoints/subresources/pod-proxy.ts';

export interface ApiServerOptions {
  storage: Storage;
  /** Bearer-token authentication; requests without a valid token get 401. */
  authenticator: TokenAuthenticator;
  /** HTTPS serving key pair (PEM). Omitted only for app.inject() tests. */
  tls?: { key: string; cert: string };
  metrics: ApiServerMetrics;
  /** Externally visible address for serverAddressByClientCIDRs, e.g. `127.0.0.1:6443`. */
  advertiseAddress?: string;
  /** How pods/log, exec, attach and portforward reach node agents; see KubeletClientConfig. */
  kubeletClient?: KubeletClientConfig;
  /** `--service-cluster-ip-range`: the IPv4 CIDR Service ClusterIPs come from; default 10.96.0.0/12. */
  serviceClusterIpRange?: string;
}

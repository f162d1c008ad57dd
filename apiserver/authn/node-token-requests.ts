/**
 * How a node that joined with a shared join token gets a credential of its
 * own (the job the CSR API and its approver do for kubeadm's TLS
 * bootstrap). The joining node generates a token, files it as a Secret of
 * type `pier.dev/node-token-request` in kube-system using the join token,
 * and polls until the token authenticates. The approver, run by whoever owns
 * the token file (`pier up`), appends `system:node:<name>` for it and
 * deletes the request, so the token does not stay in etcd. The token never
 * travels from the server to the node.
 */
import type { KubeObject } from '../../client/api/meta.ts';
import { isNotFound } from '../../client/rest/api-error.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { nodeTokenEntry } from './bootstrap-token.ts';
import { addTokenFileEntries } from './token-file.ts';

export const nodeTokenRequestType = 'pier.dev/node-token-request';
export const nodeTokenRequestLabel = 'pier.dev/node-token-request';
export const nodeTokenRequestNamespace = 'kube-system';
const secretsPath = { group: '', version: 'v1', plural: 'secrets', namespace: nodeTokenRequestNamespace } as const;

export type Secret = KubeObject & { type?: string; data?: Record<string, string> };

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The request a joining node files for `nodeName`'s own `token`. */
export function nodeTokenRequest(nodeName: string, token: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `node-token-${nodeName}`.slice(0, 253), namespace: nodeTokenRequestNamespace, labels: { [nodeTokenRequestLabel]: 'true' } },
    type: nodeTokenRequestType,
    data: { 'node-name': Buffer.from(nodeName).toString('base64'), token: Buffer.from(token).toString('base64') },
  };
}

export interface NodeTokenApproverOptions {
  /** A client allowed to read and delete Secrets in kube-system. */
  client: RestClient;
  tokenAuthFile: string;
  /** Default 1 s. */
  pollIntervalMs?: number;
  onApproved?: (nodeName: string) => void;
  onError?: (err: unknown) => void;
}

/** Turns node token requests into token file lines. */
export class NodeTokenApprover {
  readonly #o: NodeTokenApproverOptions;

  constructor(options: NodeTokenApproverOptions) {
    this.#o = options;
  }

  /** Approves every pending request once; returns the node names approved. */
  async approvePending(signal?: AbortSignal): Promise<string[]> {
    const list = await this.#o.client.list<Secret>(secretsPath, { labelSelector: `${nodeTokenRequestLabel}=true`, ...(signal ? { signal } : {}) });
    const approved: string[] = [];
    for (const secret of list.items) {
      if (secret.type !== nodeTokenRequestType) continue;
      const nodeName = Buffer.from(secret.data?.['node-name'] ?? '', 'base64').toString();
      const token = Buffer.from(secret.data?.token ?? '', 'base64').toString();
      if (!dns1123Subdomain.test(nodeName) || nodeName.length > 253 || token.length < 32 || /[\s,"]/.test(token)) {
        this.#o.onError?.(new Error(`node token request ${secret.metadata.name}: malformed (node name or token), deleted`));
      } else {
        addTokenFileEntries(this.#o.tokenAuthFile, [nodeTokenEntry(nodeName, token)]);
        approved.push(nodeName);
        this.#o.onApproved?.(nodeName);
      }
      try {
        await this.#o.client.delete({ ...secretsPath, name: secret.metadata.name! });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return approved;
  }

  /** Polls until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#o.pollIntervalMs ?? 1000;
    while (!signal.aborted) {
      try {
        await this.approvePending(signal);
      } catch (err) {
        if (!signal.aborted) this.#o.onError?.(err);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
  }
}

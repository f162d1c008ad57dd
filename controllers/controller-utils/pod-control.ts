/**
 * Creating and deleting a controller's pods, with the events kube's
 * RealPodControl records (pkg/controller controller_utils.go): SuccessfulCreate
 * "Created pod: <name>", FailedCreate "Error creating: <err>",
 * SuccessfulDelete "Deleted pod: <name>", FailedDelete "Error deleting: <err>".
 */
import type { KubeObject, OwnerReference } from '../../client/api/meta.ts';
import type { EventRecorder } from '../../client/record/event-recorder.ts';
import type { RestClient } from '../../client/rest/rest-client.ts';
import { podsResource, type Pod, type PodTemplateSpec } from './workload-objects.ts';

const dns1123SubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * getPodsPrefix: `<controller>-` when that is a valid generateName prefix
 * (a DNS subdomain once the trailing dash is allowed), else the bare name.
 */
export function podNamePrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  return dns1123SubdomainPattern.test(controllerName) && prefix.length <= 253 ? prefix : controllerName;
}

/** GetPodFromTemplate: template labels, annotations and finalizers, the owner as controller, a generated name. */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference): Pod {
  const labels = { ...(template.metadata?.labels ?? {}) };
  const metadata: Pod['metadata'] = {
    generateName: podNamePrefix(owner.metadata.name ?? ''),
    namespace: owner.metadata.namespace!,
    labels,
    ownerReferences: [controllerRef],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers) metadata.finalizers = [...template.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec ?? {}) };
}

export class PodControl {
  readonly #client: RestClient;
  readonly #recorder: EventRecorder;

  constructor(client: RestClient, recorder: EventRecorder) {
    this.#client = client;
    this.#recorder = recorder;
  }

  /** Creates one pod from `template` owned by `owner`; resolves to the created pod. */
  async createPod(namespace: string, template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference): Promise<Pod> {
    const pod = podFromTemplate(template, owner, controllerRef);
    if (Object.keys(pod.metadata.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
    let created: Pod;
    try {
      created = await this.#client.create<Pod>({ ...podsResource, namespace }, pod);
    } catch (err) {
      void this.#recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    void this.#recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  }

  async deletePod(namespace: string, name: string, owner: KubeObject): Promise<void> {
    try {
      await this.#client.delete({ ...podsResource, namespace, name });
    } catch (err) {
      void this.#recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    void this.#recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }
}

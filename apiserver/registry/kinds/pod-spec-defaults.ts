/**
 * SetDefaults for PodSpec and everything inside it (pkg/apis/core/v1/defaults.go):
 * what a user reads back after creating a pod or a pod template. Runs before
 * validation, so it only touches fields of the expected shape.
 */
import { type JsonObject, ensureObjectField, isUnset, objectField, objectItems, setDefault, stringField } from './unstructured.ts';

/**
 * The tag docker's reference parser finds: none means `latest`; an image
 * pinned by digest alone has no tag.
 */
export function imageTag(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  const hasDigest = at >= 0;
  if (hasDigest) name = name.slice(0, at);
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) return name.slice(colon + 1);
  return hasDigest ? '' : 'latest';
}

/** SetDefaults_Container's pull policy: Always for `:latest` (or no tag), else IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: JsonObject | undefined): void {
  if (!probe) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const httpGet = objectField(probe, 'httpGet');
  if (httpGet) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

function defaultLifecycleHandler(handler: JsonObject | undefined): void {
  const httpGet = objectField(handler, 'httpGet');
  if (httpGet) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

function defaultFieldRef(valueFrom: JsonObject | undefined): void {
  const fieldRef = objectField(valueFrom, 'fieldRef');
  if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
}

/** SetDefaults_Container, _ContainerPort, _Probe, _ObjectFieldSelector. */
export function defaultContainer(c: JsonObject): void {
  const image = stringField(c, 'image');
  if (isUnset(c['imagePullPolicy']) && image !== undefined) c['imagePullPolicy'] = defaultPullPolicy(image);
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const port of objectItems(c, 'ports')) setDefault(port, 'protocol', 'TCP');
  for (const env of objectItems(c, 'env')) defaultFieldRef(objectField(env, 'valueFrom'));
  defaultProbe(objectField(c, 'livenessProbe'));
  defaultProbe(objectField(c, 'readinessProbe'));
  defaultProbe(objectField(c, 'startupProbe'));
  const lifecycle = objectField(c, 'lifecycle');
  defaultLifecycleHandler(objectField(lifecycle, 'postStart'));
  defaultLifecycleHandler(objectField(lifecycle, 'preStop'));
}

const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI',
  'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

/** SetDefaults_Volume plus the source defaults users see (defaultMode 0644). */
function defaultVolume(v: JsonObject): void {
  if (!volumeSources.some((s) => v[s] !== undefined && v[s] !== null)) v['emptyDir'] = {};
  for (const source of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) {
    const s = objectField(v, source);
    if (s) setDefault(s, 'defaultMode', 420);
  }
  const hostPath = objectField(v, 'hostPath');
  if (hostPath && hostPath['type'] === undefined) hostPath['type'] = '';
}

/** SetDefaults_PodSpec (shared by Pods and pod templates). */
export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (spec['securityContext'] === undefined || spec['securityContext'] === null) spec['securityContext'] = {};
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of objectItems(spec, 'initContainers')) defaultContainer(c);
  for (const c of objectItems(spec, 'containers')) defaultContainer(c);
  for (const v of objectItems(spec, 'volumes')) defaultVolume(v);
  // hostNetwork pods listen on the node: containerPort doubles as hostPort.
  if (spec['hostNetwork'] === true) {
    for (const c of [...objectItems(spec, 'initContainers'), ...objectItems(spec, 'containers')]) {
      for (const port of objectItems(c, 'ports')) {
        if (isUnset(port['hostPort']) || port['hostPort'] === 0) port['hostPort'] = port['containerPort'];
      }
    }
  }
}

/** SetDefaults_Pod: pod-only defaults on top of the PodSpec ones. */
export function defaultPod(pod: JsonObject): void {
  const spec = objectField(pod, 'spec');
  if (!spec) return;
  defaultPodSpec(spec);
  if (spec['enableServiceLinks'] === undefined || spec['enableServiceLinks'] === null) spec['enableServiceLinks'] = true;
  // Limits without requests: requests default to the limits (pods only, not templates).
  for (const c of [...objectItems(spec, 'initContainers'), ...objectItems(spec, 'containers')]) {
    const resources = objectField(c, 'resources');
    const limits = objectField(resources, 'limits');
    if (!resources || !limits) continue;
    const requests = ensureObjectField(resources, 'requests');
    if (!requests) continue;
    for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
  }
}

/** Defaults the `template.spec` of a workload spec, if it has one. */
export function defaultPodTemplate(workloadSpec: JsonObject | undefined): void {
  const template = objectField(workloadSpec, 'template');
  const spec = objectField(template, 'spec');
  if (spec) defaultPodSpec(spec);
}


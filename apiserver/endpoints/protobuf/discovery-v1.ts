/**
 * Protobuf message descriptors for discovery.k8s.io/v1: EndpointSlice.
 * Field numbers from k8s.io/api discovery/v1 generated.proto (kubernetes/api 10b39a39b);
 * JSON names and presence from its types.go (the conditions are *bool: `ready: false` survives).
 */
import type { GroupVersionSchema } from './message-descriptor.ts';

export const discoveryV1: GroupVersionSchema = {
  apiVersion: 'discovery.k8s.io/v1',
  kinds: {
    EndpointSlice: 'discovery/v1.EndpointSlice',
  },
  messages: {
    'discovery/v1.Endpoint': {
      1: ['addresses', 'string', 'repeated'],
      2: ['conditions', 'discovery/v1.EndpointConditions'],
      3: ['hostname', 'string', 'keep'],
      4: ['targetRef', 'core/v1.ObjectReference'],
      5: ['deprecatedTopology', 'string', 'map'],
      6: ['nodeName', 'string', 'keep'],
      7: ['zone', 'string', 'keep'],
      8: ['hints', 'discovery/v1.EndpointHints'],
    },
    'discovery/v1.EndpointConditions': {
      1: ['ready', 'bool', 'keep'],
      2: ['serving', 'bool', 'keep'],
      3: ['terminating', 'bool', 'keep'],
    },
    'discovery/v1.EndpointHints': {
      1: ['forZones', 'discovery/v1.ForZone', 'repeated'],
      2: ['forNodes', 'discovery/v1.ForNode', 'repeated'],
    },
    'discovery/v1.EndpointPort': {
      1: ['name', 'string', 'keep'],
      2: ['protocol', 'string', 'keep'],
      3: ['port', 'int32', 'keep'],
      4: ['appProtocol', 'string', 'keep'],
    },
    'discovery/v1.EndpointSlice': {
      1: ['metadata', 'meta/v1.ObjectMeta'],
      2: ['endpoints', 'discovery/v1.Endpoint', 'repeated'],
      3: ['ports', 'discovery/v1.EndpointPort', 'repeated'],
      4: ['addressType', 'string', 'keep'],
    },
    'discovery/v1.ForNode': {
      1: ['name', 'string', 'keep'],
    },
    'discovery/v1.ForZone': {
      1: ['name', 'string', 'keep'],
    },
  },
};

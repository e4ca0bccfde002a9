/**
 * The Matter bridge (seed Part 5): a matter.js controller inside the node that commissions Matter
 * devices, maps each to capabilities by device type and clusters (lights, locks, thermostats,
 * contact, motion and temperature sensors, plugs, switches), runs their tools as Matter commands
 * and turns their subscriptions into triggers. matter.js itself is imported only when the bridge
 * starts (`loadMatterRuntime`), so importing this module costs nothing.
 */
export { MatterBridge } from './matter-bridge.js';
export type {
  DiscoveredMatterDevice,
  MatterBridgeComponents,
  MatterBridgeEvents,
  MatterBridgeInit,
  MatterDeviceState,
  MatterDeviceStatus,
  MatterTriggerEvent,
} from './matter-bridge.js';
export {
  CAPABILITY_TYPE_OF_KIND,
  MATTER_CLUSTERS,
  MATTER_DEVICE_TYPES,
  crossedThresholds,
  kindOfEndpoint,
  mapMatterNode,
  roomFromLabels,
  slugOf,
} from './matter-mapping.js';
export type {
  MappedCapability,
  MatterDeviceKind,
  MatterEndpointInfo,
  MatterNodeInfo,
} from './matter-mapping.js';

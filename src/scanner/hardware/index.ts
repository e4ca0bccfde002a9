/**
 * The hardware half of `atmosphere scan` (seed Parts 1.1 and 6): GPUs, NPUs, CPU, memory,
 * storage, cameras, microphones, speakers and power, read from the tools each platform has
 * (`nvidia-smi`, `rocm-smi`, `lspci`, `vulkaninfo`, `v4l2-ctl`, `pactl`, ALSA, `/proc`, `/sys`;
 * `system_profiler`, `pmset`, `sysctl` on macOS) through a `ScanEnv`. Missing tools mean "not
 * detected"; nothing asks for permissions or opens a camera or microphone.
 *
 * `probeHardware` is the entry point; the parsers are exported for tests and for other probes;
 * `gpuWorkloads` / `fitsInVram` / `checkGpuWorkload` say what a GPU can run.
 */
export {
  probeHardware,
  HARDWARE_PROBE_IDS,
  type HardwareProbeId,
  type HardwareProbeResult,
  type ProbeHardwareOptions,
} from './probe-hardware.js';
export { systemHost, type HostInfo, type HostFsStats } from './host.js';
export {
  GPU_WORKLOADS,
  LLM_RUNTIME_OVERHEAD_GB,
  Q4_GB_PER_BILLION_PARAMS,
  UNIFIED_MEMORY_GPU_SHARE,
  VRAM_REPORTING_SLACK,
  checkGpuWorkload,
  fitsInVram,
  gpuWorkload,
  gpuWorkloads,
  q4ModelRequiredBytes,
  usableGpuMemoryBytes,
  type GpuWorkload,
  type GpuWorkloadKind,
  type GpuWorkloadOptions,
  type VramFit,
  type VramGpu,
} from './workloads.js';
export {
  NPU_WORKLOADS,
  gpusFromPciDevices,
  npusFromPciDevices,
  parseLspciDevices,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
  parseVulkanInfoSummary,
  type PciDevice,
} from './gpu-parsers.js';
export {
  appleNeuralEngineCores,
  parseSystemProfilerJson,
  type SystemProfilerHardware,
  type SystemProfilerReport,
} from './system-profiler.js';
export {
  inferenceFeatures,
  parseProcCpuinfo,
  parseProcMeminfo,
  parseSysctlHwOptional,
  type ProcCpuinfo,
  type ProcMeminfo,
} from './cpu-parsers.js';
export {
  parseV4l2All,
  parseV4l2Formats,
  parseV4l2ListDevices,
  type V4l2DeviceGroup,
  type V4l2Formats,
  type V4l2NodeInfo,
} from './v4l2.js';
export {
  parseAlsaDeviceList,
  parsePactlDefault,
  parsePactlInfo,
  parsePactlJsonList,
  parsePactlShortList,
  type PactlInfo,
} from './audio-parsers.js';
export { parseLinuxPowerSupplies, parsePmsetBatt, type PowerSupplyEntry } from './power-parsers.js';
export { filesystemName } from './system-probes.js';

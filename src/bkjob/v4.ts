/**
 * BlueKing JOB v4 `get_job_instance_status` (`return_execute_object_result=true`): the only API
 * that describes jobs whose steps ran in containers (JOB feature `containerExecution`); for those,
 * v2 `get_job_instance_log` and v3 `get_job_instance_status` fail inside JOB with 1240002.
 * Reached through the ESB (`/api/c/compapi/v2/jobv4/…`, POST, like jobv3) or the API gateway
 * (`/api/v4/…`, GET). Its envelope has no `result` key (see `parseV4Envelope`) and drops nulls.
 * Times are epoch ms, durations ms, as in v3. Host logs still come from v3 `get_job_instance_ip_log`.
 */
import { BkJobError } from './errors';
import type { BkActor, ContainerRef, HostAddress, HostResult, JobInstance, JobRef, StepInstance } from './model';
import { scopeParams } from './scope';
import type { BkRequest, BkTransport } from './transport';
import { readArray, readInt, readOptionalArray, readOptionalInt, readOptionalString, readRecord } from './validate';

interface V4Endpoint {
  readonly method: BkRequest['method'];
  readonly path: string;
}

/** Same pattern as `V3_ENDPOINTS`: POST through the ESB, GET through the gateway. */
export const V4_STATUS_ENDPOINTS: Readonly<Record<'esb' | 'gateway', V4Endpoint>> = {
  esb: { method: 'POST', path: '/api/c/compapi/v2/jobv4/get_job_instance_status/' },
  gateway: { method: 'GET', path: '/api/v4/get_job_instance_status' },
};

/** v4 `execute_object.type`. */
export const V4_EXECUTE_OBJECT_TYPE = { HOST: 1, CONTAINER: 2 } as const;

/** Calls v4 `get_job_instance_status` for one job and parses it. */
export async function fetchV4JobInstance(transport: BkTransport, via: 'esb' | 'gateway', actor: BkActor, ref: JobRef): Promise<JobInstance> {
  const { data } = await transport.call({
    ...V4_STATUS_ENDPOINTS[via],
    actor,
    envelope: 'v4',
    params: { ...scopeParams(ref), return_execute_object_result: true },
  });
  return parseV4JobInstanceStatus(data, ref);
}

function parseContainer(value: unknown, path: string, resourceId: string | null): ContainerRef {
  const container = readRecord(value, path);
  // `id` is JOB's container id; `resource_id` carries the same id as a string when `id` is dropped.
  const id = readOptionalInt(container.id, `${path}.id`) ?? (resourceId !== null && /^\d+$/.test(resourceId) ? Number(resourceId) : readInt(container.id, `${path}.id`));
  return {
    id,
    name: readOptionalString(container.name, `${path}.name`) ?? '',
    containerId: readOptionalString(container.container_id, `${path}.container_id`) ?? '',
    nodeHostId: readOptionalInt(container.node_host_id, `${path}.node_host_id`),
  };
}

function parseExecuteObject(value: unknown, path: string): HostAddress {
  const object = readRecord(value, path);
  const type = readInt(object.type, `${path}.type`);
  const resourceId = readOptionalString(object.resource_id, `${path}.resource_id`);
  if (type === V4_EXECUTE_OBJECT_TYPE.CONTAINER) {
    // A container has no address of its own: it is named by the container, never merged with hosts.
    return { ip: '', bkCloudId: 0, container: parseContainer(object.container, `${path}.container`, resourceId) };
  }
  if (type !== V4_EXECUTE_OBJECT_TYPE.HOST) {
    throw new BkJobError(`BlueKing JOB returned an unexpected response: ${path}.type should be 1 (host) or 2 (container)`, { kind: 'bad_response' });
  }
  const host = readRecord(object.host, `${path}.host`);
  // For hosts `resource_id` is the bk_host_id as a string: used when `host.bk_host_id` is missing.
  const bkHostId = readOptionalInt(host.bk_host_id, `${path}.host.bk_host_id`) ?? (resourceId !== null && /^\d+$/.test(resourceId) ? Number(resourceId) : null);
  const ipv6 = readOptionalString(host.ipv6, `${path}.host.ipv6`);
  return {
    ip: readOptionalString(host.ip, `${path}.host.ip`) ?? '',
    bkCloudId: readOptionalInt(host.bk_cloud_id, `${path}.host.bk_cloud_id`) ?? 0,
    ...(bkHostId !== null ? { bkHostId } : {}),
    ...(ipv6 ? { ipv6 } : {}),
  };
}

function parseExecuteObjectResult(value: unknown, path: string, retryCount: number): HostResult {
  const result = readRecord(value, path);
  return {
    ...parseExecuteObject(result.execute_object, `${path}.execute_object`),
    ipStatus: readInt(result.status, `${path}.status`),
    tag: readOptionalString(result.tag, `${path}.tag`) ?? '',
    exitCode: readOptionalInt(result.exit_code, `${path}.exit_code`),
    errorCode: readOptionalInt(result.error_code, `${path}.error_code`),
    startTime: readOptionalInt(result.start_time, `${path}.start_time`),
    endTime: readOptionalInt(result.end_time, `${path}.end_time`),
    totalTimeMs: readOptionalInt(result.total_time, `${path}.total_time`),
    // Like v3, results are for the step's latest run.
    retryCount,
  };
}

function parseStep(value: unknown, path: string): StepInstance {
  const step = readRecord(value, path);
  const executeCount = readOptionalInt(step.execute_count, `${path}.execute_count`) ?? 0;
  const listPath = `${path}.step_execute_object_result_list`;
  return {
    stepInstanceId: readInt(step.step_instance_id, `${path}.step_instance_id`),
    name: readOptionalString(step.name, `${path}.name`) ?? '',
    status: readInt(step.status, `${path}.status`),
    type: readOptionalInt(step.type, `${path}.type`),
    startTime: readOptionalInt(step.start_time, `${path}.start_time`),
    endTime: readOptionalInt(step.end_time, `${path}.end_time`),
    totalTimeMs: readOptionalInt(step.total_time, `${path}.total_time`),
    executeCount,
    // Nulls are dropped in v4: a step without results (a confirmation) may have no list at all.
    hosts: readOptionalArray(step.step_execute_object_result_list, listPath).map((result, i) => parseExecuteObjectResult(result, `${listPath}[${i}]`, executeCount)),
  };
}

/** Validates and normalises the `data` of a v4 `get_job_instance_status` answer (`return_execute_object_result=true`). */
export function parseV4JobInstanceStatus(data: unknown, ref: JobRef): JobInstance {
  const root = readRecord(data, 'data');
  const job = readRecord(root.job_instance, 'data.job_instance');
  const steps = readArray(root.step_instance_list, 'data.step_instance_list').map((step, i) => parseStep(step, `data.step_instance_list[${i}]`));
  if (steps.length === 0) {
    throw new BkJobError(`BlueKing JOB returned no steps for job ${ref.jobInstanceId}`, { kind: 'bad_response' });
  }
  return {
    ref,
    name: readOptionalString(job.name, 'data.job_instance.name'),
    status: readInt(job.status, 'data.job_instance.status'),
    startTime: readOptionalInt(job.start_time, 'data.job_instance.start_time'),
    endTime: readOptionalInt(job.end_time, 'data.job_instance.end_time'),
    steps,
  };
}

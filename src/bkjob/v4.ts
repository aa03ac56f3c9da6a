/**
 * BlueKing JOB v4 `get_job_instance_status` (`return_execute_object_result=true`): the only API
 * that describes jobs whose steps ran in containers (JOB feature `containerExecution`); for those,
 * v2 `get_job_instance_log` and v3 `get_job_instance_status` fail inside JOB with 1240002.
 * Reached through the ESB (`/api/c/compapi/v2/jobv4/…`, POST, like jobv3) or the API gateway
 * (`/api/v4/…`, GET). Its envelope has no `result` key (see `parseV4Envelope`) and drops nulls.
 * Times are epoch ms, durations ms, as in v3. Host logs still come from v3 `get_job_instance_ip_log`.
 */
import { BkJobError } from './errors';
import type { BkActor, ContainerRef, HostAddress, JobInstance, JobRef } from './model';
import { scopeParams } from './scope';
import { type StatusDialect, readJobStatusData } from './statusData';
import type { BkAuthMode, BkRequest, BkTransport } from './transport';
import { readInt, readOptionalInt, readOptionalString, readRecord } from './validate';

interface V4Endpoint {
  readonly method: BkRequest['method'];
  readonly path: string;
}

/**
 * Same pattern as `V3_ENDPOINTS`: POST through the ESB, GET through the gateway. The v4 system
 * twin's path follows v3's (`/api/v4/system/…`); unconfirmed: the facts name only v3 system resources.
 */
export const V4_STATUS_ENDPOINTS: Readonly<Record<BkAuthMode, V4Endpoint>> = {
  esb: { method: 'POST', path: '/api/c/compapi/v2/jobv4/get_job_instance_status/' },
  gateway: { method: 'GET', path: '/api/v4/get_job_instance_status' },
  'gateway-system': { method: 'GET', path: '/api/v4/system/get_job_instance_status' },
};

/** v4 `execute_object.type`. */
export const V4_EXECUTE_OBJECT_TYPE = { HOST: 1, CONTAINER: 2 } as const;

/** Calls v4 `get_job_instance_status` for one job and parses it. */
export async function fetchV4JobInstance(transport: BkTransport, via: BkAuthMode, actor: BkActor, ref: JobRef): Promise<JobInstance> {
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

const V4_STATUS: StatusDialect = {
  resultList: 'step_execute_object_result_list',
  readWhere: (result, path) => parseExecuteObject(result.execute_object, `${path}.execute_object`),
};

/** Validates and normalises the `data` of a v4 `get_job_instance_status` answer (`return_execute_object_result=true`). */
export function parseV4JobInstanceStatus(data: unknown, ref: JobRef): JobInstance {
  return readJobStatusData(data, ref, V4_STATUS);
}

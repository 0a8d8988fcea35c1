/**
 * containerd's Tasks service over its gRPC socket, for what ctr 1.6 has no command for: a task's terminal
 * size (`Tasks/ResizePty`; ctr only resizes from its own terminal) and the end of its stdin
 * (`Tasks/CloseIO`, for stdinOnce). Same transport as containers-api.ts; the messages from containerd's
 * api/services/tasks/v1/tasks.proto, the fields used only.
 */
import protobuf from 'protobufjs/light.js';
import { unaryCall } from './containers-api.js';

const DEFAULT_SOCKET = '/run/containerd/containerd.sock';
const RESIZE_PATH = '/containerd.services.tasks.v1.Tasks/ResizePty';
const CLOSE_IO_PATH = '/containerd.services.tasks.v1.Tasks/CloseIO';

const root = protobuf.Root.fromJSON({
  nested: {
    tasks: {
      nested: {
        ResizePtyRequest: {
          fields: { containerId: { type: 'string', id: 1 }, execId: { type: 'string', id: 2 }, width: { type: 'uint32', id: 3 }, height: { type: 'uint32', id: 4 } },
        },
        CloseIORequest: { fields: { containerId: { type: 'string', id: 1 }, execId: { type: 'string', id: 2 }, stdin: { type: 'bool', id: 3 } } },
      },
    },
  },
});
const ResizePtyRequest = root.lookupType('tasks.ResizePtyRequest');
const CloseIORequest = root.lookupType('tasks.CloseIORequest');

export interface TasksApi {
  /** Set the terminal size of the task's main process (no execId) or of one exec. */
  resizePty(id: string, width: number, height: number, execId?: string): Promise<void>;
  /** Close the stdin of the task's main process (no execId) or of one exec. */
  closeStdin(id: string, execId?: string): Promise<void>;
}

export function createTasksApi(opts: { namespace: string; address?: string; timeoutMs?: number }): TasksApi {
  const socket = (opts.address ?? DEFAULT_SOCKET).replace(/^unix:\/\//, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async resizePty(id, width, height, execId) {
      const body = ResizePtyRequest.encode(ResizePtyRequest.create({ containerId: id, execId: execId ?? '', width, height })).finish();
      await unaryCall(socket, RESIZE_PATH, body, opts.namespace, timeoutMs);
    },
    async closeStdin(id, execId) {
      const body = CloseIORequest.encode(CloseIORequest.create({ containerId: id, execId: execId ?? '', stdin: true })).finish();
      await unaryCall(socket, CLOSE_IO_PATH, body, opts.namespace, timeoutMs);
    },
  };
}

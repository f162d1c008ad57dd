/**
 * One port-forward connection: a relay process inside the pod's network
 * namespace (`nsenter --net=<netns>` + busybox `nc`, or socat) whose stdio
 * is the stream. busybox comes from Debian's busybox-static (or busybox),
 * socat from socat; without either the call fails saying so.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { Duplex } from 'node:stream';

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

/** The relay command for 127.0.0.1:port, or an error naming what to install. */
export async function relayCommand(port: number): Promise<string[]> {
  for (const socat of ['/usr/bin/socat', '/bin/socat']) {
    if (await executable(socat)) return [socat, '-', `TCP4:127.0.0.1:${port}`];
  }
  for (const busybox of ['/bin/busybox', '/usr/bin/busybox']) {
    if (await executable(busybox)) return [busybox, 'nc', '127.0.0.1', String(port)];
  }
  throw new Error('portForward needs a relay: apt-get install busybox-static (or socat)');
}

export async function openPortForward(netnsPath: string | undefined, port: number): Promise<Duplex> {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid port ${port}`);
  const relay = await relayCommand(port);
  const argv = netnsPath ? ['nsenter', `--net=${netnsPath}`, '--', ...relay] : relay;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Not Duplex.from: it fails the whole stream with "Premature close" when the
  // relay exits (the pod closed the connection) before our side ended writing,
  // which is how every HTTP/1.0-style exchange ends, and drops unread output.
  const duplex = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      // After the relay exits, writes have nowhere to go: the pod closed its side.
      if (!child.stdin.writable) return callback();
      child.stdin.write(chunk, () => callback());
    },
    final(callback) {
      child.stdin.end();
      callback();
    },
  });
  child.stdout.on('data', (d: Buffer) => {
    if (!duplex.push(d)) child.stdout.pause();
  });
  child.stdout.once('end', () => duplex.push(null));
  child.stdin.on('error', () => {});
  child.once('error', (err) => duplex.destroy(err));
  child.once('close', (code) => {
    if (code !== 0 && code !== null) duplex.destroy(new Error(`port-forward to ${port}: relay exited ${code}: ${stderr.trim()}`));
  });
  duplex.once('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

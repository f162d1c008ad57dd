/**
 * The `pier` command: dispatches `pier <command> [flags]` to one module per
 * command. Every failure ends as one line on stderr and a non-zero exit
 * code (2 for usage mistakes).
 */
import { agentCommand, runAgentCommand } from './agent.ts';
import { runApiServerCommand, apiserverCommand } from './apiserver.ts';
import { CliError } from './cli-error.ts';
import { controllerManagerCommand, runControllerManagerCommand } from './controller-manager.ts';
import { imageCommand, runImageCommand } from './image.ts';
import { joinCommand, runJoinCommand } from './join.ts';
import type { CommandSpec } from './flags.ts';
import { runSchedulerCommand, schedulerCommand } from './scheduler.ts';
import { runSimNodesCommand, simnodesCommand } from './simnodes.ts';
import { runTokenCommand, tokenCommand } from './token.ts';
import { runUp, upCommand } from './up.ts';

interface Command {
  spec: CommandSpec;
  run(argv: readonly string[]): Promise<void>;
}

/** In `pier help` order. Later components (scheduler, agent, ...) add an entry here. */
const commands: ReadonlyMap<string, Command> = new Map([
  ['up', { spec: upCommand, run: runUp }],
  ['apiserver', { spec: apiserverCommand, run: runApiServerCommand }],
  ['scheduler', { spec: schedulerCommand, run: runSchedulerCommand }],
  ['controller-manager', { spec: controllerManagerCommand, run: runControllerManagerCommand }],
  ['agent', { spec: agentCommand, run: runAgentCommand }],
  ['join', { spec: joinCommand, run: runJoinCommand }],
  ['token', { spec: tokenCommand, run: runTokenCommand }],
  ['simnodes', { spec: simnodesCommand, run: runSimNodesCommand }],
  ['image', { spec: imageCommand, run: runImageCommand }],
]);

function usage(): string {
  const width = Math.max(...[...commands.keys(), 'help'].map((n) => n.length));
  const lines = [...commands].map(([name, c]) => `  ${name.padEnd(width)}  ${c.spec.summary}`);
  lines.push(`  ${'help'.padEnd(width)}  show this list`);
  return `Usage: pier <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\nRun "pier <command> --help" for a command's flags.\n`;
}

async function main(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      process.stdout.write(usage());
      return;
    }
    const command = commands.get(topic);
    if (!command) throw new CliError(`pier: unknown command "${topic}" (see pier help)`, 2);
    return command.run(['--help']);
  }
  if (name === undefined) {
    process.stderr.write(usage());
    process.exitCode = 2;
    return;
  }
  const command = commands.get(name);
  if (!command) throw new CliError(`pier: unknown command "${name}" (see pier help)`, 2);
  await command.run(rest);
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  // A bug, not an operator mistake: keep the stack.
  process.stderr.write(`pier: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}

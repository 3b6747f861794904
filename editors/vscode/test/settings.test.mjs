// `stella.context` reaches the server as STELLA_CONTEXT: from user settings, or from the
// workspace only when it is trusted, and a change restarts the server. `stella.trace.server`
// turns the LSP trace on and off.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { startFake, TOKEN } from './support/fake-orchestrator.mjs';
import {
    activate,
    serverBinary,
    temporaryFolder,
    testing,
    vscode,
    waitFor,
} from './support/harness.mjs';

let fake;
let extension;

before(async () => {
    fake = await startFake();
    const home = temporaryFolder('stella-home-');
    fs.mkdirSync(path.join(home, '.stella'));
    fs.writeFileSync(
        path.join(home, '.stella', 'config.yaml'),
        `current_context: production
contexts:
  production:
    server: ${fake.url}
  staging:
    server: ${fake.url}
`,
    );
    process.env.HOME = home;
    process.env.STELLA_TOKEN = TOKEN;
    delete process.env.STELLA_SERVER;
    delete process.env.STELLA_CONFIG;
    delete process.env.STELLA_CONTEXT;

    testing.settings.set('server.path', { globalValue: serverBinary() });
    extension = await activate();
});

after(async () => {
    await extension?.deactivate();
    await fake?.close();
});

function statusItem() {
    return testing.statusBarItems.find((item) => item.command === 'stella.client.showOutput');
}

function starts() {
    return testing.outputChannels
        .get('Stella')
        .lines.filter((line) => line.startsWith('[info] starting ')).length;
}

/**
 * Changes settings and waits for the restart they cause to begin: the old server is gone
 * from the status bar, so what it reads next comes from the new one.
 */
async function changeAndRestart(changes) {
    const before = starts();
    testing.changeSettings(changes);
    await waitFor('the restart', () => (starts() > before ? true : undefined));
}

/** The servers this process runs now (the client spawns them as its children). */
function servers() {
    const listed = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {
        encoding: 'utf8',
    });
    return listed.stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([, command]) => command === 'stella-lsp')
        .map(([pid]) => Number(pid));
}

/** Waits until the status bar reads `text`. */
async function statusReads(text) {
    const item = statusItem();
    await waitFor(`the status bar to read ${text} (it reads ${item.text})`, () =>
        item.text === text ? true : undefined,
    );
}

test('without stella.context the config file current context is used', async () => {
    await statusReads('$(check) Stella: production · jane@example.com');
});

test('stella.context from user settings selects the context and restarts the server', async () => {
    await changeAndRestart({ context: { globalValue: 'staging' } });

    await statusReads('$(check) Stella: staging · jane@example.com');
    const output = testing.outputChannels.get('Stella').lines;
    assert.ok(output.includes('[info] settings changed; restarting the server'), output.join('\n'));
});

test('a workspace value of stella.context counts only in a trusted workspace', async () => {
    testing.trusted = false;
    await changeAndRestart({ context: { globalValue: 'staging', workspaceValue: 'production' } });
    await statusReads('$(check) Stella: staging · jane@example.com');

    testing.trusted = true;
    await changeAndRestart({ context: { globalValue: 'staging', workspaceValue: 'production' } });
    await statusReads('$(check) Stella: production · jane@example.com');
});

test('two quick changes restart the server twice and leave one running', async () => {
    const before = starts();

    testing.changeSettings({ context: { globalValue: 'staging' } });
    testing.changeSettings({ context: { globalValue: 'production' } });
    await waitFor('two restarts', () => (starts() === before + 2 ? true : undefined));
    await statusReads('$(check) Stella: production · jane@example.com');

    await waitFor(`one server (running: ${servers().join(', ')})`, () =>
        servers().length === 1 ? true : undefined,
    );
});

test('stella.trace.server turns the LSP trace on and off without a restart', async () => {
    const trace = testing.outputChannels.get('Stella trace');
    const before = starts();
    assert.deepEqual(trace.lines, []);

    testing.changeSettings({ 'trace.server': { globalValue: 'messages' } });
    await vscode.commands.executeCommand('stella.client.refresh');

    // The 5 s status poll may interleave its own lines; ours are among them.
    assert.ok(
        trace.lines.some((line) => /^Sending request 'stella\/status - \(\d+\)'\.$/.test(line)),
        trace.lines.join('\n'),
    );
    assert.ok(
        trace.lines.some((line) =>
            /^Received response 'stella\/status - \(\d+\)' in \d+ms\.$/.test(line),
        ),
        trace.lines.join('\n'),
    );

    testing.changeSettings({ 'trace.server': { globalValue: 'off' } });
    trace.clear();
    await vscode.commands.executeCommand('stella.client.refresh');

    assert.deepEqual(trace.lines, []);
    assert.equal(starts(), before);
});

test('a token the orchestrator refuses shows as not signed in', async () => {
    process.env.STELLA_TOKEN = 'stl_REVOKED';
    try {
        await vscode.commands.executeCommand('stella.client.restartServer');
        await statusReads('$(warning) Stella: production (not signed in)');
        // The text can change before the status that carries the error fills the tooltip.
        await waitFor('the tooltip to say why', () =>
            statusItem().tooltip.includes('Not signed in') ? true : undefined,
        );
    } finally {
        process.env.STELLA_TOKEN = TOKEN;
    }

    assert.deepEqual(statusItem().tooltip.split('\n'), [
        `Server: ${fake.url}`,
        'Signed in as: nobody',
        'Reachable: yes',
        'Stella 2.4.1 (API 1.0)',
        `Not signed in to Stella at ${fake.url}: run \`stella auth login\` or set STELLA_TOKEN (server said: missing or invalid token)`,
    ]);
    // The release view says the same instead of listing releases.
    const tree = testing.treeProviders.get('stellaReleases');
    const nodes = await tree.getChildren(undefined);
    assert.deepEqual(
        nodes.map((node) => tree.getTreeItem(node).label),
        [
            `Not signed in to Stella at ${fake.url}: run \`stella auth login\` or set STELLA_TOKEN (server said: missing or invalid token)`,
        ],
    );
});

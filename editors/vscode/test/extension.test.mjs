// The bundled extension against the `vscode` stand-in, with the real vscode-languageclient
// talking to the real server, which talks to a fake orchestrator on 127.0.0.1.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { startFake, TOKEN } from './support/fake-orchestrator.mjs';
import {
    activate,
    extensionRoot,
    serverBinary,
    temporaryFolder,
    testing,
    vscode,
    waitFor,
} from './support/harness.mjs';

const VALID = `release:
  name: my-service
components:
  - name: api
    image: registry.example.com/my-service/api
auto_promote:
  environments:
    - name: staging
      auto_approve: true
    - name: production
      auto_approve: false
`;

const BROKEN = `release:
  name: my-service
  name: other-service
`;

let fake;
let project;
let extension;

before(async () => {
    fake = await startFake();
    project = temporaryFolder('stella-project-');
    // The server reads no real ~/.stella: its home is empty, and the orchestrator and token
    // come from the environment.
    process.env.HOME = temporaryFolder('stella-home-');
    process.env.STELLA_SERVER = fake.url;
    process.env.STELLA_TOKEN = TOKEN;
    delete process.env.STELLA_CONFIG;
    delete process.env.STELLA_CONTEXT;

    testing.folder = project;
    testing.settings.set('server.path', { globalValue: serverBinary() });
    extension = await activate();
});

after(async () => {
    await extension?.deactivate();
    await fake?.close();
});

/** The requests the fake received for `method path`. */
function received(method, path) {
    return fake.requests.filter((request) => request.method === method && request.path === path);
}

function statusItem() {
    return testing.statusBarItems.find((item) => item.command === 'stella.client.showOutput');
}

test('activation registers the commands of the extension and of the server', () => {
    const ids = [...testing.commands.keys()].sort();
    assert.deepEqual(ids, [
        'stella.apply',
        'stella.client.createRelease',
        'stella.client.promote',
        'stella.client.refresh',
        'stella.client.restartServer',
        'stella.client.showDeploymentLogs',
        'stella.client.showOutput',
        'stella.createRelease',
        'stella.deploy',
        'stella.diff',
        'stella.noop',
        'stella.promote',
        'stella.refresh',
        'stella.validate',
    ]);
});

test('the manifest contributes exactly the commands, view and settings the extension uses', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(extensionRoot, 'package.json'), 'utf8'));
    const contributed = manifest.contributes.commands.map((command) => command.command).sort();
    const registered = [...testing.commands.keys()].filter((id) => id.startsWith('stella.client.'));

    assert.deepEqual(contributed, registered.sort());
    assert.deepEqual(
        Object.values(manifest.contributes.views)
            .flat()
            .map((view) => view.id),
        [...testing.treeProviders.keys()],
    );
    assert.deepEqual(Object.keys(manifest.contributes.configuration.properties).sort(), [
        'stella.context',
        'stella.server.extraArgs',
        'stella.server.path',
        'stella.trace.server',
    ]);
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces, {
        supported: 'limited',
        description: manifest.capabilities.untrustedWorkspaces.description,
        restrictedConfigurations: [
            'stella.server.path',
            'stella.server.extraArgs',
            'stella.context',
        ],
    });
});

test('a broken .stella.yaml gets the server diagnostics as editor diagnostics', async () => {
    const file = path.join(project, 'broken', '.stella.yaml');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, BROKEN);
    const document = await testing.open(file);

    const diagnostics = await waitFor('diagnostics of the broken file', () => {
        const found = testing.diagnostics(document.uri.toString());
        return found.length > 0 ? found : undefined;
    });

    const shown = diagnostics.map((diagnostic) => ({
        message: diagnostic.message,
        code: diagnostic.code,
        source: diagnostic.source,
        severity: diagnostic.severity,
        range: [
            diagnostic.range.start.line,
            diagnostic.range.start.character,
            diagnostic.range.end.line,
            diagnostic.range.end.character,
        ],
        related: (diagnostic.relatedInformation ?? []).map((related) => ({
            message: related.message,
            uri: related.location.uri.toString(),
            range: [
                related.location.range.start.line,
                related.location.range.start.character,
                related.location.range.end.line,
                related.location.range.end.character,
            ],
        })),
    }));
    assert.deepEqual(shown, [
        {
            message: 'duplicate key `name`',
            code: 'duplicate-key',
            source: 'stella',
            severity: vscode.DiagnosticSeverity.Error,
            range: [2, 2, 2, 6],
            related: [
                {
                    message: '`name` is first set here',
                    uri: document.uri.toString(),
                    range: [1, 2, 1, 6],
                },
            ],
        },
    ]);
    const holders = testing.diagnosticCollections
        .filter((collection) => collection.has(document.uri))
        .map((collection) => collection.name);
    assert.deepEqual(holders, ['stella']);
});

test('files named like prod.stella.yaml and the global config get diagnostics, as the server analyses them', async () => {
    const files = [
        path.join(project, 'named', 'prod.stella.yaml'),
        path.join(project, 'named', 'dev.stella.yml'),
        path.join(project, 'home', '.stella', 'config.yml'),
    ];
    const shown = [];
    for (const file of files) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(
            file,
            file.endsWith('config.yml') ? 'defaults: {}\ndefaults: {}\n' : BROKEN,
        );
        const document = await testing.open(file);

        const diagnostics = await waitFor(`diagnostics of ${file}`, () => {
            const found = testing.diagnostics(document.uri.toString());
            return found.length > 0 ? found : undefined;
        });
        shown.push([path.basename(file), diagnostics.map((diagnostic) => diagnostic.code)]);
    }

    assert.deepEqual(shown, [
        ['prod.stella.yaml', ['duplicate-key']],
        ['dev.stella.yml', ['duplicate-key']],
        ['config.yml', ['duplicate-key']],
    ]);
    const manifest = JSON.parse(fs.readFileSync(path.join(extensionRoot, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.activationEvents, [
        'workspaceContains:**/*.stella.yaml',
        'workspaceContains:**/*.stella.yml',
        'onLanguage:yaml',
    ]);
});

test('the status bar shows the context, the user and that Stella is reachable', async () => {
    const item = statusItem();

    const text = await waitFor('a signed-in status', () =>
        item.text.startsWith('$(check)') ? item.text : undefined,
    );

    assert.equal(text, '$(check) Stella: default · jane@example.com');
    assert.equal(
        item.tooltip,
        [
            `Server: ${fake.url}`,
            'Signed in as: jane@example.com (acme-corp)',
            'Reachable: yes',
            'Stella 2.4.1 (API 1.0)',
        ].join('\n'),
    );
    assert.equal(item.visible, true);
});

test('the release tree lists the releases, each with the environments', async () => {
    const tree = testing.treeProviders.get('stellaReleases');

    const releases = await tree.getChildren(undefined);
    const drawn = releases.map((node) => {
        const item = tree.getTreeItem(node);
        return [item.id, item.label, item.description, item.collapsibleState];
    });
    const environments = await tree.getChildren(releases[0]);
    const drawnEnvironments = environments.map((node) => {
        const item = tree.getTreeItem(node);
        return [item.id, item.label, item.description];
    });

    const collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    assert.deepEqual(drawn, [
        ['rel-abc123', 'my-service 1.2.0', 'ready', collapsed],
        ['rel-old999', 'my-service 1.1.0', 'deployed', collapsed],
    ]);
    assert.deepEqual(drawnEnvironments, [
        ['rel-abc123/env-dev', 'development', 'current'],
        ['rel-abc123/env-stg', 'staging', 'current'],
        ['rel-abc123/env-prd', 'production', 'frozen'],
    ]);
    assert.deepEqual(
        received('GET', '/api/v1/releases').map((request) => request.query),
        [{ limit: '20' }],
    );
});

test('promote offers the environments, and the chosen one is promoted once confirmed', async () => {
    const file = path.join(project, '.stella.yaml');
    fs.writeFileSync(file, VALID);
    await testing.open(file);
    testing.quickPick = (items) => items.find((item) => item.label === 'production');
    // The server asks which of the two releases of my-service, then for a confirmation,
    // since production does not auto-approve.
    testing.messageAnswer = (_severity, message, items) =>
        items.find((item) =>
            message.startsWith('Promote which release')
                ? item.title === '1.2.0 (rel-abc123)'
                : item.title === 'Promote',
        );
    const messagesBefore = testing.messages.length;

    await vscode.commands.executeCommand('stella.client.promote');
    await waitFor('the promotion', () =>
        received('POST', '/api/v1/promotions').length > 0 ? true : undefined,
    );
    const outcome = await waitFor('the outcome of the promotion', () =>
        testing.messages.slice(messagesBefore).find((shown) => shown.severity === 'info'),
    );

    assert.deepEqual(testing.quickPicks.at(-1).items, [
        { label: 'development', description: 'active' },
        { label: 'staging', description: 'active' },
        { label: 'production', description: 'frozen: year-end freeze' },
    ]);
    assert.deepEqual(
        testing.messages
            .slice(messagesBefore)
            .map((shown) => [
                shown.severity,
                shown.message,
                shown.items.map((item) => item.title ?? item),
            ]),
        [
            [
                'warning',
                'Promote which release of my-service to production?',
                ['1.2.0 (rel-abc123)', '1.1.0 (rel-old999)', 'Cancel'],
            ],
            ['warning', 'Promote rel-abc123 to production?', ['Promote', 'Cancel']],
            ['info', 'Promotion pro-1 of rel-abc123 to production created (pending approval)', []],
        ],
    );
    assert.equal(
        outcome.message,
        'Promotion pro-1 of rel-abc123 to production created (pending approval)',
    );
    const promotions = received('POST', '/api/v1/promotions');
    assert.equal(promotions.length, 1);
    assert.equal(promotions[0].headers['content-type'], 'application/json');
    assert.equal(
        promotions[0].body,
        '{"release_id":"rel-abc123","target_environment_id":"env-prd","auto_approve":false}',
    );
});

test('promote from a release in the tree names that release; a dismissed confirmation sends nothing', async () => {
    const tree = testing.treeProviders.get('stellaReleases');
    const [, older] = await tree.getChildren(undefined);
    testing.quickPick = (items) => items.find((item) => item.label === 'production');
    testing.messageAnswer = () => undefined;
    const messagesBefore = testing.messages.length;

    await vscode.commands.executeCommand('stella.client.promote', older);
    const outcome = await waitFor('the outcome', () =>
        testing.messages.slice(messagesBefore).find((shown) => !shown.message.endsWith('?')),
    );

    assert.equal(
        testing.quickPicks.at(-1).options.title,
        'Promote my-service 1.1.0 to which environment?',
    );
    assert.deepEqual(
        testing.messages.slice(messagesBefore).map((shown) => [shown.severity, shown.message]),
        [
            ['warning', 'Promote rel-old999 to production?'],
            ['warning', 'Promotion to production not confirmed; nothing was sent'],
        ],
    );
    assert.equal(outcome.severity, 'warning');
    assert.equal(received('POST', '/api/v1/promotions').length, 1);
});

test('create release asks for the version and sends it', async () => {
    testing.inputBox = () => '1.3.0';
    const messagesBefore = testing.messages.length;

    await vscode.commands.executeCommand('stella.client.createRelease');
    const outcome = await waitFor('the outcome of the release', () =>
        testing.messages.slice(messagesBefore).find((shown) => shown.severity === 'info'),
    );

    assert.equal(outcome.message, 'Created release rel-new001 (my-service 1.3.0)');
    assert.deepEqual(testing.external, [`${fake.url}/releases/rel-new001`]);
    const created = received('POST', '/api/v1/releases');
    assert.equal(created.length, 1);
    assert.deepEqual(JSON.parse(created[0].body), {
        name: 'my-service',
        version: '1.3.0',
        components: [{ name: 'api', image: 'registry.example.com/my-service/api', tag: '1.3.0' }],
    });
    assert.equal(testing.inputBoxes.at(-1).validateInput('1 3'), 'A version has no spaces');
    assert.equal(testing.inputBoxes.at(-1).validateInput('1.3.0'), undefined);
});

test('deployment logs stream page by page into their output channel', async () => {
    testing.quickPick = (items) => items[0];

    await vscode.commands.executeCommand('stella.client.showDeploymentLogs');
    const channel = testing.outputChannels.get('Stella deployment logs');
    await waitFor('the end of the log', () =>
        channel.lines.at(-1) === '[log complete]' ? true : undefined,
    );

    assert.deepEqual(testing.quickPicks.at(-1).items, [
        { label: 'dep-7', description: 'rel-abc123 to env-stg, running' },
    ]);
    assert.deepEqual(channel.lines, [
        'Deployment dep-7',
        '2026-12-04T10:00:00Z info [pull] pulling images',
        '2026-12-04T10:00:05Z warn [rollout] one pod restarted',
        '2026-12-04T10:00:09Z info [rollout] rollout complete',
        '[log complete]',
    ]);
    assert.deepEqual(
        received('GET', '/api/v1/deployments/dep-7/logs').map((request) => request.query),
        [{}, { after: '2' }],
    );
});

test('restart server starts a new server that answers again', async () => {
    const item = statusItem();

    await vscode.commands.executeCommand('stella.client.restartServer');
    const text = await waitFor('a signed-in status after the restart', () =>
        item.text.startsWith('$(check)') ? item.text : undefined,
    );

    assert.equal(text, '$(check) Stella: default · jane@example.com');
    const tree = testing.treeProviders.get('stellaReleases');
    const releases = await tree.getChildren(undefined);
    assert.equal(releases.length, 2);
});

// Finding the server: user settings only (a workspace cannot choose the program), then the
// binary bundled in the package, then PATH; when none is found, one error lists each place.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';

import {
    activate,
    closedPortUrl,
    serverBinary,
    temporaryFolder,
    testing,
    waitFor,
} from './support/harness.mjs';

const platform = `${process.platform}-${process.arch}`;
let extension;

afterEach(async () => {
    await extension?.deactivate();
    extension = undefined;
    testing.settings.clear();
    testing.messages.length = 0;
    testing.trusted = true;
});

function statusText() {
    return testing.statusBarItems.filter((item) => item.visible).map((item) => item.text);
}

test('with no server anywhere, the error lists every place tried', async () => {
    const empty = temporaryFolder('stella-extension-');
    const emptyPath = temporaryFolder('stella-path-');
    process.env.PATH = emptyPath;

    extension = await activate(empty);

    assert.deepEqual(testing.messages, [
        {
            severity: 'error',
            message: `Stella: the stella-lsp server was not found. Tried stella.server.path in user settings: not set; bundled ${path.join(empty, 'server', platform, 'stella-lsp')}: no such file; stella-lsp on PATH: not found. Set stella.server.path in your user settings, or put stella-lsp on PATH`,
            items: [],
        },
    ]);
    assert.deepEqual(statusText(), ['$(circle-slash) Stella: not running']);
});

test('a server path from the workspace settings is not used, even in a trusted workspace', async () => {
    const empty = temporaryFolder('stella-extension-');
    process.env.PATH = '';
    testing.settings.set('server.path', {
        workspaceValue: serverBinary(),
        workspaceFolderValue: serverBinary(),
    });
    testing.settings.set('server.extraArgs', { workspaceValue: ['--evil'] });

    extension = await activate(empty);

    assert.equal(testing.messages.length, 1);
    assert.match(
        testing.messages[0].message,
        /^Stella: the stella-lsp server was not found\. Tried stella\.server\.path in user settings: not set; /,
    );
});

test('a configured path that is not a program says why', async () => {
    const empty = temporaryFolder('stella-extension-');
    process.env.PATH = '';
    const notExecutable = path.join(empty, 'stella-lsp');
    fs.writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    testing.settings.set('server.path', { globalValue: notExecutable });

    extension = await activate(empty);

    assert.equal(
        testing.messages[0].message,
        `Stella: the stella-lsp server was not found. Tried stella.server.path ${notExecutable}: not executable; bundled ${path.join(empty, 'server', platform, 'stella-lsp')}: no such file; stella-lsp on PATH: PATH is empty. Set stella.server.path in your user settings, or put stella-lsp on PATH`,
    );
});

test('the binary bundled in the package is found without settings', async () => {
    const packaged = temporaryFolder('stella-extension-');
    fs.mkdirSync(path.join(packaged, 'server', platform), { recursive: true });
    fs.symlinkSync(serverBinary(), path.join(packaged, 'server', platform, 'stella-lsp'));
    process.env.PATH = '';
    process.env.HOME = temporaryFolder('stella-home-');
    process.env.STELLA_SERVER = await closedPortUrl();
    delete process.env.STELLA_TOKEN;

    extension = await activate(packaged);

    assert.deepEqual(testing.messages, []);
    // The server runs and answers stella/status: nothing listens at its orchestrator.
    await waitFor('the status of a running server', () =>
        statusText()[0] === '$(warning) Stella: default (unreachable)' ? true : undefined,
    );
    const output = testing.outputChannels.get('Stella').lines;
    assert.ok(
        output.includes(`[info] starting ${path.join(packaged, 'server', platform, 'stella-lsp')}`),
        output.join('\n'),
    );
});

test('extra arguments come from user settings only', async () => {
    process.env.PATH = '';
    process.env.HOME = temporaryFolder('stella-home-');
    process.env.STELLA_SERVER = await closedPortUrl();
    testing.settings.set('server.path', { globalValue: serverBinary() });
    testing.settings.set('server.extraArgs', { workspaceValue: ['--bogus'] });

    extension = await activate(temporaryFolder('stella-extension-'));
    await extension.deactivate();
    const fromWorkspace = testing.messages.splice(0);
    testing.settings.set('server.extraArgs', { globalValue: ['--bogus'] });
    extension = await activate(temporaryFolder('stella-extension-'));

    // `stella-lsp serve --bogus` exits with a usage error: the arguments were passed.
    assert.deepEqual(fromWorkspace, []);
    assert.match(
        testing.messages.at(-1).message,
        new RegExp(`^Stella: the server ${serverBinary()} did not start: `),
    );
    assert.deepEqual(statusText(), ['$(circle-slash) Stella: not running']);
});

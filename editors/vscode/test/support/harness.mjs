// Loads the bundled extension (dist/extension.js) against the `vscode` stand-in, and
// waits for what a test expects to appear.
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const stubPath = path.join(here, 'vscode-stub.cjs');
export const extensionRoot = path.resolve(here, '..', '..');

// `require('vscode')` from the bundle resolves to the stand-in.
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? stubPath : resolve.call(this, request, ...rest);
};

const require = createRequire(import.meta.url);
export const vscode = require(stubPath);
export const { testing } = vscode;

/** The server binary the tests run: `STELLA_LSP_BIN`, else the repository's release build. */
export function serverBinary() {
    const binary =
        process.env.STELLA_LSP_BIN ??
        path.resolve(extensionRoot, '..', '..', 'target', 'release', 'stella-lsp');
    if (!fs.existsSync(binary)) {
        throw new Error(
            `no server binary at ${binary}: build it with cargo build --release, or set STELLA_LSP_BIN`,
        );
    }
    return binary;
}

/** `http://127.0.0.1:PORT` where nothing listens: a port that was free a moment ago. */
export async function closedPortUrl() {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return `http://127.0.0.1:${port}`;
}

/** A fresh temporary folder. */
export function temporaryFolder(prefix) {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Activates the bundled extension from `extensionPath`; `deactivate` undoes it. */
export async function activate(extensionPath = extensionRoot) {
    const extension = require(path.join(extensionRoot, 'dist', 'extension.js'));
    const context = {
        subscriptions: [],
        extensionPath,
        extensionUri: vscode.Uri.file(extensionPath),
        asAbsolutePath: (relative) => path.join(extensionPath, relative),
    };
    await extension.activate(context);
    return {
        context,
        async deactivate() {
            await extension.deactivate();
            for (const disposable of context.subscriptions) {
                disposable.dispose();
            }
        },
    };
}

/** Polls `probe` until it returns something other than undefined; fails after `ms`. */
export async function waitFor(what, probe, ms = 20_000) {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await probe();
        if (value !== undefined) {
            return value;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

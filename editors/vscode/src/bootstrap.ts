/**
 * Finds the server binary: `stella.server.path`, else the binary bundled in the package
 * (`server/<platform>-<arch>/stella-lsp`), else `stella-lsp` on `PATH`. When none is found
 * the error lists every place tried.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where to look, so that tests can pass their own. */
export interface Places {
    configured: string | undefined;
    extensionPath: string;
    platform: string;
    arch: string;
    pathVariable: string | undefined;
}

export type Found = { kind: 'found'; command: string } | { kind: 'missing'; tried: string[] };

export function executableName(platform: string): string {
    return platform === 'win32' ? 'stella-lsp.exe' : 'stella-lsp';
}

/** The server to run, or each place tried and why it did not do. */
export function server(places: Places): Found {
    const tried: string[] = [];
    const name = executableName(places.platform);

    if (places.configured === undefined) {
        tried.push('stella.server.path in user settings: not set');
    } else {
        const why = unusable(places.configured);
        if (why === undefined) {
            return { kind: 'found', command: places.configured };
        }
        tried.push(`stella.server.path ${places.configured}: ${why}`);
    }

    const bundled = path.join(
        places.extensionPath,
        'server',
        `${places.platform}-${places.arch}`,
        name,
    );
    const bundledWhy = unusable(bundled);
    if (bundledWhy === undefined) {
        return { kind: 'found', command: bundled };
    }
    tried.push(`bundled ${bundled}: ${bundledWhy}`);

    const folders = (places.pathVariable ?? '').split(path.delimiter).filter((folder) => folder);
    for (const folder of folders) {
        const candidate = path.join(folder, name);
        if (unusable(candidate) === undefined) {
            return { kind: 'found', command: candidate };
        }
    }
    tried.push(
        folders.length === 0 ? `${name} on PATH: PATH is empty` : `${name} on PATH: not found`,
    );
    return { kind: 'missing', tried };
}

/** The message for a server that was not found. */
export function missingMessage(tried: string[]): string {
    return `Stella: the stella-lsp server was not found. Tried ${tried.join('; ')}. Set stella.server.path in your user settings, or put stella-lsp on PATH`;
}

/** Why `file` cannot be run, or undefined when it can. */
function unusable(file: string): string | undefined {
    let stats: fs.Stats;
    try {
        stats = fs.statSync(file);
    } catch {
        return 'no such file';
    }
    if (!stats.isFile()) {
        return 'not a file';
    }
    try {
        fs.accessSync(file, fs.constants.X_OK);
    } catch {
        return 'not executable';
    }
    return undefined;
}

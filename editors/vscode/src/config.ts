/**
 * The extension's settings, one typed getter each. The server's path and arguments are
 * read from user settings only, so that a workspace cannot choose the program that runs.
 */

import * as vscode from 'vscode';

/** Settings whose change needs a restart of the server. */
export const RESTART_SETTINGS = ['stella.server.path', 'stella.server.extraArgs', 'stella.context'];

function section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('stella');
}

/** `stella.server.path` from user settings; undefined when empty or unset. */
export function serverPath(): string | undefined {
    const value = section().inspect<string>('server.path')?.globalValue;
    if (typeof value !== 'string' || value.trim() === '') {
        return undefined;
    }
    return value.trim();
}

/** `stella.server.extraArgs` from user settings; anything but strings is left out. */
export function extraArgs(): string[] {
    const value = section().inspect<unknown>('server.extraArgs')?.globalValue;
    if (!Array.isArray(value)) {
        return [];
    }
    return value.filter((argument): argument is string => typeof argument === 'string');
}

/**
 * `stella.context`: from user settings, or from the workspace when it is trusted. It only
 * picks among the user's own contexts (the server and token still come from the user's
 * config), and the status bar always shows the context in use.
 */
export function context(): string | undefined {
    const inspected = section().inspect<string>('context');
    const candidates = vscode.workspace.isTrusted
        ? [inspected?.workspaceFolderValue, inspected?.workspaceValue, inspected?.globalValue]
        : [inspected?.globalValue];
    const value = candidates.find(
        (candidate): candidate is string =>
            typeof candidate === 'string' && candidate.trim() !== '',
    );
    return value?.trim();
}

export type Trace = 'off' | 'messages' | 'verbose';

/** `stella.trace.server`, from any scope (it only sets how much the editor logs). */
export function traceServer(): Trace {
    const value = section().get<string>('trace.server');
    return value === 'messages' || value === 'verbose' ? value : 'off';
}

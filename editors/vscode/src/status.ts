/**
 * The status bar item: the context in use, who is signed in, and whether the orchestrator
 * can be reached, from `stella/status` (the server's cache, so asking costs no request to
 * the orchestrator). Refreshed every few seconds and whenever the client changes.
 */

import * as vscode from 'vscode';

import { Ctx } from './ctx';
import * as ext from './lsp_ext';

/** How often the item asks the server. */
const REFRESH_MS = 5_000;

export class StatusItem implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    private readonly timer: NodeJS.Timeout;
    private readonly subscription: vscode.Disposable;

    constructor(private readonly ctx: Ctx) {
        this.item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
        this.item.name = 'Stella';
        this.item.command = 'stella.client.showOutput';
        this.show(undefined);
        this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
        this.subscription = ctx.onDidChangeClient(() => void this.refresh());
    }

    async refresh(): Promise<void> {
        const client = this.ctx.running();
        if (client === undefined) {
            this.show(undefined);
            return;
        }

        let status: ext.Status;
        try {
            status = await client.sendRequest(ext.status);
        } catch (error) {
            this.ctx.output.debug(`stella/status failed: ${String(error)}`);
            return;
        }
        this.show(status);
    }

    private show(status: ext.Status | undefined): void {
        const view = statusView(status);
        this.item.text = view.text;
        this.item.tooltip = view.tooltip;
        this.item.show();
    }

    dispose(): void {
        clearInterval(this.timer);
        this.subscription.dispose();
        this.item.dispose();
    }
}

/** The item's text and tooltip for a status, or for no running server. */
export function statusView(status: ext.Status | undefined): { text: string; tooltip: string } {
    if (status === undefined) {
        return {
            text: '$(circle-slash) Stella: not running',
            tooltip: 'The server is not running',
        };
    }

    const context = status.context ?? 'default';
    let text: string;
    if (status.reachable === null) {
        text = `$(sync) Stella: ${context}`;
    } else if (!status.reachable) {
        text = `$(warning) Stella: ${context} (unreachable)`;
    } else if (status.signedInAs === null) {
        text = `$(warning) Stella: ${context} (not signed in)`;
    } else {
        text = `$(check) Stella: ${context} · ${status.signedInAs}`;
    }

    const lines = [
        `Server: ${status.server ?? 'not configured'}`,
        `Signed in as: ${status.signedInAs ?? 'nobody'}${status.organization === null ? '' : ` (${status.organization})`}`,
        `Reachable: ${status.reachable === null ? 'not known yet' : status.reachable ? 'yes' : 'no'}`,
    ];
    if (status.serverVersion !== null) {
        lines.push(`Stella ${status.serverVersion} (API ${status.apiVersion ?? '?'})`);
    }
    if (status.lastError !== null) {
        lines.push(status.lastError);
    }
    lines.push(...status.warnings);
    return { text, tooltip: lines.join('\n') };
}

/**
 * The LSP trace channel. vscode-languageclient traces only while its trace channel's log
 * level is Trace; this channel takes that level from `stella.trace.server` instead
 * (`off`: no trace), so the setting turns the trace on and off as users expect.
 */

import * as vscode from 'vscode';

import * as config from './config';

export class TraceChannel implements vscode.LogOutputChannel {
    readonly name = 'Stella trace';
    private readonly channel: vscode.OutputChannel;
    private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
    readonly onDidChangeLogLevel = this.levelChanged.event;
    private level: vscode.LogLevel;
    private readonly subscription: vscode.Disposable;

    constructor() {
        this.channel = vscode.window.createOutputChannel(this.name);
        this.level = levelOf(config.traceServer());
        this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
            if (!event.affectsConfiguration('stella.trace.server')) {
                return;
            }
            this.level = levelOf(config.traceServer());
            this.levelChanged.fire(this.level);
        });
    }

    get logLevel(): vscode.LogLevel {
        return this.level;
    }

    trace(message: string): void {
        this.channel.appendLine(message);
    }

    debug(message: string): void {
        this.channel.appendLine(message);
    }

    info(message: string): void {
        this.channel.appendLine(message);
    }

    warn(message: string): void {
        this.channel.appendLine(message);
    }

    error(error: string | Error): void {
        this.channel.appendLine(typeof error === 'string' ? error : error.message);
    }

    append(value: string): void {
        this.channel.append(value);
    }

    appendLine(value: string): void {
        this.channel.appendLine(value);
    }

    replace(value: string): void {
        this.channel.replace(value);
    }

    clear(): void {
        this.channel.clear();
    }

    show(preserveFocus?: boolean): void;
    show(column?: vscode.ViewColumn, preserveFocus?: boolean): void;
    show(first?: boolean | vscode.ViewColumn, preserveFocus?: boolean): void {
        this.channel.show(typeof first === 'boolean' ? first : preserveFocus);
    }

    hide(): void {
        this.channel.hide();
    }

    dispose(): void {
        this.subscription.dispose();
        this.levelChanged.dispose();
        this.channel.dispose();
    }
}

function levelOf(trace: config.Trace): vscode.LogLevel {
    return trace === 'off' ? vscode.LogLevel.Off : vscode.LogLevel.Trace;
}

/**
 * The one owner of the language client: finds the server, starts, stops and restarts it,
 * and tells the views when the client changes.
 */

import * as vscode from 'vscode';
import {
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
    State,
} from 'vscode-languageclient/node';

import * as bootstrap from './bootstrap';
import * as config from './config';
import { TraceChannel } from './trace';

/**
 * The files the server analyses: those whose names end in `.stella.yaml` or `.stella.yml`
 * (`.stella.yaml` itself, `prod.stella.yaml`: a glob's `*` also matches nothing) and the
 * global config.
 */
export const DOCUMENT_SELECTOR = [
    { scheme: 'file', pattern: '**/*.stella.yaml' },
    { scheme: 'file', pattern: '**/*.stella.yml' },
    { scheme: 'file', pattern: '**/.stella/config.yaml' },
    { scheme: 'file', pattern: '**/.stella/config.yml' },
];

export class Ctx implements vscode.Disposable {
    readonly output: vscode.LogOutputChannel;
    readonly traceOutput: TraceChannel;
    private client: LanguageClient | undefined;
    private readonly changed = new vscode.EventEmitter<LanguageClient | undefined>();
    /** Starts and stops run one after the other, so that two quick restarts leave one server. */
    private lifecycle: Promise<void> = Promise.resolve();
    /** Fires when a client starts or stops. */
    readonly onDidChangeClient = this.changed.event;

    constructor(private readonly extensionPath: string) {
        this.output = vscode.window.createOutputChannel('Stella', { log: true });
        this.traceOutput = new TraceChannel();
    }

    /** The running client, if any. */
    running(): LanguageClient | undefined {
        if (this.client === undefined || this.client.state !== State.Running) {
            return undefined;
        }
        return this.client;
    }

    /** Starts the server; a server that cannot be found or started is shown to the user. */
    start(): Promise<void> {
        return this.inTurn(() => this.startNow());
    }

    stop(): Promise<void> {
        return this.inTurn(() => this.stopNow());
    }

    restart(): Promise<void> {
        return this.inTurn(async () => {
            await this.stopNow();

            await this.startNow();
        });
    }

    /** Runs `step` after every start and stop asked for before it. */
    private inTurn(step: () => Promise<void>): Promise<void> {
        const done = this.lifecycle.then(step, step);
        this.lifecycle = done.catch(() => undefined);
        return done;
    }

    private async startNow(): Promise<void> {
        const found = bootstrap.server({
            configured: config.serverPath(),
            extensionPath: this.extensionPath,
            platform: process.platform,
            arch: process.arch,
            pathVariable: process.env['PATH'],
        });
        if (found.kind === 'missing') {
            const message = bootstrap.missingMessage(found.tried);
            this.output.error(message);
            void vscode.window.showErrorMessage(message);
            return;
        }

        const client = new LanguageClient('stella', 'Stella', serverOptions(found.command), {
            ...clientOptions(),
            outputChannel: this.output,
            traceOutputChannel: this.traceOutput,
        });
        this.client = client;
        this.output.info(`starting ${found.command}`);
        try {
            await client.start();
        } catch (error) {
            const message = `Stella: the server ${found.command} did not start: ${String(error)}`;
            this.output.error(message);
            void vscode.window.showErrorMessage(message);
            return;
        }
        this.changed.fire(client);
    }

    private async stopNow(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client === undefined) {
            return;
        }

        this.changed.fire(undefined);
        try {
            await client.dispose();
        } catch (error) {
            this.output.warn(`stopping the server: ${String(error)}`);
        }
    }

    dispose(): void {
        void this.stop();
        this.changed.dispose();
        this.traceOutput.dispose();
    }
}

function serverOptions(command: string): ServerOptions {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const context = config.context();
    if (context !== undefined) {
        env['STELLA_CONTEXT'] = context;
    }
    return { command, args: ['serve', ...config.extraArgs()], options: { env } };
}

function clientOptions(): LanguageClientOptions {
    return {
        documentSelector: DOCUMENT_SELECTOR,
        // The server reads nothing from the editor's settings; `stella.trace.server` is
        // read by the client itself.
        synchronize: {},
    };
}

/**
 * The extension's commands. Create release and Promote ask for what they need (a version,
 * an environment) and then run the server's `stella.createRelease` and `stella.promote`;
 * the server confirms a promotion where the file asks for a person's approval and shows
 * the outcome itself. Deployment logs are streamed page by page into an output channel.
 */

import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';

import { Ctx } from './ctx';
import * as ext from './lsp_ext';
import { errorText, Node, ReleaseTree } from './releases';
import { StatusItem } from './status';

/** The longest version or name the server takes. */
const MAX_NAME_CHARS = 128;

/** How long to wait between two pages of a deployment's log that is not complete. */
const LOG_POLL_MS = 1_000;

export function register(
    ctx: Ctx,
    tree: ReleaseTree,
    status: StatusItem,
    logs: DeploymentLogs,
): vscode.Disposable[] {
    return [
        vscode.commands.registerCommand('stella.client.restartServer', async () => {
            await ctx.restart();
        }),
        vscode.commands.registerCommand('stella.client.showOutput', () => {
            ctx.output.show(true);
        }),
        vscode.commands.registerCommand('stella.client.refresh', async () => {
            tree.refresh();
            await status.refresh();
        }),
        vscode.commands.registerCommand('stella.client.createRelease', async () => {
            await createRelease(ctx);
        }),
        vscode.commands.registerCommand('stella.client.promote', async (node?: Node) => {
            await promote(ctx, node);
        }),
        vscode.commands.registerCommand('stella.client.showDeploymentLogs', async (id?: string) => {
            await logs.show(id);
        }),
    ];
}

async function createRelease(ctx: Ctx): Promise<void> {
    const client = runningOrSay(ctx);
    if (client === undefined) {
        return;
    }
    const document = await stellaDocument();
    if (document === undefined) {
        return;
    }

    const version = await vscode.window.showInputBox({
        title: 'Create a Stella release',
        prompt: 'Version of the new release (empty: read from the newest git tag that tag_pattern selects)',
        placeHolder: '1.2.0',
        validateInput: versionProblem,
    });
    if (version === undefined) {
        return;
    }

    const argument: ext.CreateReleaseArguments = { uri: document.toString() };
    if (version.trim() !== '') {
        argument.version = version.trim();
    }
    await execute(ctx, client, 'stella.createRelease', argument);
}

/** Why a typed version cannot be used, or undefined. */
export function versionProblem(version: string): string | undefined {
    const trimmed = version.trim();
    if (/\s/.test(trimmed)) {
        return 'A version has no spaces';
    }
    if ([...trimmed].length > MAX_NAME_CHARS) {
        return `A version has at most ${MAX_NAME_CHARS} characters`;
    }
    return undefined;
}

async function promote(ctx: Ctx, node: Node | undefined): Promise<void> {
    const client = runningOrSay(ctx);
    if (client === undefined) {
        return;
    }
    const document = await stellaDocument();
    if (document === undefined) {
        return;
    }

    let environments: ext.Environment[];
    try {
        environments = await client.sendRequest(ext.environments);
    } catch (error) {
        void vscode.window.showErrorMessage(`Stella: ${errorText(error)}`);
        return;
    }
    const release = node?.kind === 'release' ? node.release : undefined;
    const picked = await vscode.window.showQuickPick(
        environments.map((environment) => ({
            label: environment.name,
            description: environmentState(environment),
        })),
        {
            title:
                release === undefined
                    ? 'Promote to which environment?'
                    : `Promote ${release.name} ${release.version} to which environment?`,
            placeHolder: 'Environment',
        },
    );
    if (picked === undefined) {
        return;
    }

    const argument: ext.PromoteArguments = { uri: document.toString(), env: picked.label };
    if (release !== undefined) {
        argument.release = release.id;
    }
    await execute(ctx, client, 'stella.promote', argument);
}

function environmentState(environment: ext.Environment): string {
    if (environment.status === 'frozen') {
        return environment.freeze_reason === undefined
            ? 'frozen'
            : `frozen: ${environment.freeze_reason}`;
    }
    return environment.status;
}

/**
 * Runs a server command. The server answers at once (a refusal as a string, already shown
 * to the user through `window/showMessage`) and reports the outcome the same way.
 */
async function execute(
    ctx: Ctx,
    client: LanguageClient,
    command: string,
    argument: object,
): Promise<void> {
    try {
        const answer: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
            command,
            arguments: [argument],
        });
        if (typeof answer === 'string') {
            ctx.output.info(`${command}: ${answer}`);
        }
    } catch (error) {
        void vscode.window.showErrorMessage(`Stella: ${errorText(error)}`);
    }
}

function runningOrSay(ctx: Ctx): LanguageClient | undefined {
    const client = ctx.running();
    if (client === undefined) {
        void vscode.window.showErrorMessage(
            'Stella: the server is not running; see the Stella output',
        );
    }
    return client;
}

function isStella(uri: vscode.Uri): boolean {
    return /(^|\/)\.stella\.ya?ml$/.test(uri.path);
}

/** The `.stella.yaml` to act on: the active editor's, else the only one, else one picked. */
async function stellaDocument(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active !== undefined && isStella(active)) {
        return active;
    }

    const found = await vscode.workspace.findFiles('**/.stella.{yaml,yml}', '**/node_modules/**');
    if (found.length === 1) {
        return found[0];
    }
    if (found.length === 0) {
        void vscode.window.showErrorMessage('Stella: open a .stella.yaml first');
        return undefined;
    }
    const picked = await vscode.window.showQuickPick(
        found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
        { placeHolder: 'Which .stella.yaml?' },
    );
    return picked?.uri;
}

/** Deployment logs, one deployment at a time, streamed into their own output channel. */
export class DeploymentLogs implements vscode.Disposable {
    private readonly channel: vscode.OutputChannel;
    /** Bumped for each new stream, so that an older one stops. */
    private generation = 0;

    constructor(private readonly ctx: Ctx) {
        this.channel = vscode.window.createOutputChannel('Stella deployment logs');
    }

    /** Streams the log of deployment `id`, or of one picked among the recent ones. */
    async show(id: string | undefined): Promise<void> {
        const client = runningOrSay(this.ctx);
        if (client === undefined) {
            return;
        }
        const chosen = id ?? (await this.pick(client));
        if (chosen === undefined) {
            return;
        }

        this.generation += 1;
        const generation = this.generation;
        this.channel.clear();
        this.channel.show(true);
        this.channel.appendLine(`Deployment ${chosen}`);
        // The log may go on for minutes: the command returns once it has started.
        void this.stream(client, chosen, generation);
    }

    private async pick(client: LanguageClient): Promise<string | undefined> {
        let deployments: ext.Deployment[];
        try {
            deployments = await client.sendRequest(ext.deployments, { limit: 20 });
        } catch (error) {
            void vscode.window.showErrorMessage(`Stella: ${errorText(error)}`);
            return undefined;
        }
        if (deployments.length === 0) {
            void vscode.window.showInformationMessage('Stella: no deployments yet');
            return undefined;
        }

        const picked = await vscode.window.showQuickPick(
            deployments.map((deployment) => ({
                label: deployment.id,
                description: `${deployment.release_id} to ${deployment.environment_id}, ${deployment.status.replace(/_/g, ' ')}`,
            })),
            { placeHolder: 'Which deployment?' },
        );
        return picked?.label;
    }

    private async stream(client: LanguageClient, id: string, generation: number): Promise<void> {
        let after: number | undefined;
        while (generation === this.generation && this.ctx.running() === client) {
            let page: ext.LogPage;
            try {
                page = await client.sendRequest(
                    ext.deploymentLogs,
                    after === undefined ? { id } : { id, after },
                );
            } catch (error) {
                this.channel.appendLine(`[log stopped] ${errorText(error)}`);
                return;
            }
            if (generation !== this.generation) {
                return;
            }

            for (const line of page.lines) {
                this.channel.appendLine(logLine(line));
            }
            after = page.after ?? after;
            if (page.complete) {
                this.channel.appendLine('[log complete]');
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, LOG_POLL_MS));
        }
    }

    dispose(): void {
        this.generation += 1;
        this.channel.dispose();
    }
}

/** One log line as shown: `2026-12-04T10:00:00Z info [pull] pulling images`. */
export function logLine(line: ext.LogLine): string {
    const step = line.step === undefined ? '' : ` [${line.step}]`;
    return `${line.timestamp} ${line.level ?? 'info'}${step} ${line.message}`;
}

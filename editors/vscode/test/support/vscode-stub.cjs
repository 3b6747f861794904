// A stand-in for the `vscode` module: just what the bundled extension and
// vscode-languageclient touch, with a `testing` object through which a test sets settings,
// answers the user's prompts and reads what was shown (diagnostics, status bar, trees,
// output, messages).
'use strict';

const fs = require('node:fs');
const nodePath = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');

class Disposable {
    constructor(onDispose) {
        this.onDispose = onDispose;
    }
    static from(...disposables) {
        return new Disposable(() => disposables.forEach((disposable) => disposable?.dispose()));
    }
    dispose() {
        const onDispose = this.onDispose;
        this.onDispose = undefined;
        onDispose?.();
    }
}

class EventEmitter {
    constructor() {
        this.listeners = new Set();
        this.event = (listener, thisArgs, disposables) => {
            const bound = thisArgs === undefined ? listener : listener.bind(thisArgs);
            this.listeners.add(bound);
            const disposable = new Disposable(() => this.listeners.delete(bound));
            if (Array.isArray(disposables)) {
                disposables.push(disposable);
            }
            return disposable;
        };
    }
    fire(value) {
        for (const listener of [...this.listeners]) {
            listener(value);
        }
    }
    dispose() {
        this.listeners.clear();
    }
}

class CancellationTokenSource {
    constructor() {
        this.emitter = new EventEmitter();
        this.token = {
            isCancellationRequested: false,
            onCancellationRequested: this.emitter.event,
        };
    }
    cancel() {
        if (!this.token.isCancellationRequested) {
            this.token.isCancellationRequested = true;
            this.emitter.fire(undefined);
        }
    }
    dispose() {
        this.emitter.dispose();
    }
}

class CancellationError extends Error {}

class Uri {
    constructor(scheme, authority, path, query, fragment) {
        this.scheme = scheme;
        this.authority = authority;
        this.path = path;
        this.query = query;
        this.fragment = fragment;
    }
    static file(path) {
        const url = pathToFileURL(path);
        return new Uri('file', '', decodeURIComponent(url.pathname), '', '');
    }
    static parse(text) {
        const url = new URL(text);
        return new Uri(
            url.protocol.slice(0, -1),
            url.host,
            decodeURIComponent(url.pathname),
            url.search.slice(1),
            url.hash.slice(1),
        );
    }
    static joinPath(base, ...segments) {
        return base.with({ path: nodePath.posix.join(base.path, ...segments) });
    }
    get fsPath() {
        return fileURLToPath(`file://${encodeURI(this.path)}`);
    }
    with(change) {
        return new Uri(
            change.scheme ?? this.scheme,
            change.authority ?? this.authority,
            change.path ?? this.path,
            change.query ?? this.query,
            change.fragment ?? this.fragment,
        );
    }
    toString() {
        if (this.scheme === 'file') {
            return pathToFileURL(this.path).href;
        }
        return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${this.query}` : ''}`;
    }
    toJSON() {
        return this.toString();
    }
}

class Position {
    constructor(line, character) {
        this.line = line;
        this.character = character;
    }
    isBefore(other) {
        return (
            this.line < other.line || (this.line === other.line && this.character < other.character)
        );
    }
    isEqual(other) {
        return this.line === other.line && this.character === other.character;
    }
}

class Range {
    constructor(startOrLine, endOrCharacter, endLine, endCharacter) {
        if (typeof startOrLine === 'number') {
            this.start = new Position(startOrLine, endOrCharacter);
            this.end = new Position(endLine, endCharacter);
        } else {
            this.start = startOrLine;
            this.end = endOrCharacter;
        }
    }
    get isEmpty() {
        return this.start.isEqual(this.end);
    }
}

class Location {
    constructor(uri, rangeOrPosition) {
        this.uri = uri;
        this.range = rangeOrPosition;
    }
}

class Diagnostic {
    constructor(range, message, severity = 0) {
        this.range = range;
        this.message = message;
        this.severity = severity;
    }
}

class DiagnosticRelatedInformation {
    constructor(location, message) {
        this.location = location;
        this.message = message;
    }
}

class TreeItem {
    constructor(label, collapsibleState = 0) {
        this.label = label;
        this.collapsibleState = collapsibleState;
    }
}

class MarkdownString {
    constructor(value = '') {
        this.value = value;
    }
}

// Classes vscode-languageclient extends when it loads; nothing here calls them.
class CodeLens {
    constructor(range, command) {
        this.range = range;
        this.command = command;
    }
}
class CompletionItem {
    constructor(label, kind) {
        this.label = label;
        this.kind = kind;
    }
}
class CodeAction {
    constructor(title, kind) {
        this.title = title;
        this.kind = kind;
    }
}
class DocumentLink {
    constructor(range, target) {
        this.range = range;
        this.target = target;
    }
}
class InlayHint {}
class SymbolInformation {}
class CallHierarchyItem {}
class TypeHierarchyItem {}

class CodeActionKind {
    constructor(value) {
        this.value = value;
    }
    append(part) {
        return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
    }
    contains(other) {
        return (
            this.value === '' ||
            other.value === this.value ||
            other.value.startsWith(`${this.value}.`)
        );
    }
    intersects(other) {
        return this.contains(other) || other.contains(this);
    }
}
for (const [name, value] of Object.entries({
    Empty: '',
    QuickFix: 'quickfix',
    Refactor: 'refactor',
    RefactorExtract: 'refactor.extract',
    RefactorInline: 'refactor.inline',
    RefactorMove: 'refactor.move',
    RefactorRewrite: 'refactor.rewrite',
    Source: 'source',
    SourceOrganizeImports: 'source.organizeImports',
    SourceFixAll: 'source.fixAll',
    Notebook: 'notebook',
})) {
    CodeActionKind[name] = new CodeActionKind(value);
}

const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
const DiagnosticTag = { Unnecessary: 1, Deprecated: 2 };
const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 };
const StatusBarAlignment = { Left: 1, Right: 2 };
const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 };
const FileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 };
const EndOfLine = { LF: 1, CRLF: 2 };
const TextDocumentSaveReason = { Manual: 1, AfterDelay: 2, FocusOut: 3 };
const ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 };

/** What a test sets and reads. */
const testing = {
    /** `stella.*` settings by key (`server.path`): `{globalValue, workspaceValue}`. */
    settings: new Map(),
    trusted: true,
    /** Answers a quick pick: `(items, options) => item | undefined`. */
    quickPick: () => undefined,
    /** Answers an input box: `(options) => string | undefined`. */
    inputBox: () => undefined,
    /** Answers a message with actions: `(severity, message, items) => item | undefined`. */
    messageAnswer: () => undefined,
    /** Every message shown: `{severity, message, items}`. */
    messages: [],
    /** Every quick pick shown: `{items, options}`. */
    quickPicks: [],
    inputBoxes: [],
    statusBarItems: [],
    outputChannels: new Map(),
    diagnosticCollections: [],
    treeProviders: new Map(),
    commands: new Map(),
    /** Every uri opened in the browser. */
    external: [],
    /** Files `workspace.findFiles` returns. */
    files: [],
    /** All diagnostics for `uri` (a string), across the collections. */
    diagnostics(uri) {
        return testing.diagnosticCollections.flatMap((collection) => collection.get(uri) ?? []);
    },
};

class OutputChannel {
    constructor(name, log) {
        this.name = name;
        this.lines = [];
        this.logLevel = LogLevel.Info;
        this.onDidChangeLogLevel = new EventEmitter().event;
        if (log) {
            for (const level of ['trace', 'debug', 'info', 'warn', 'error']) {
                this[level] = (message) => this.lines.push(`[${level}] ${message}`);
            }
        }
        testing.outputChannels.set(name, this);
    }
    append(text) {
        this.lines.push(text);
    }
    appendLine(text) {
        this.lines.push(text);
    }
    replace(text) {
        this.lines = [text];
    }
    clear() {
        this.lines = [];
    }
    show() {}
    hide() {}
    dispose() {}
}

class DiagnosticCollection {
    constructor(name) {
        this.name = name;
        this.entries = new Map();
        testing.diagnosticCollections.push(this);
    }
    set(uriOrEntries, diagnostics) {
        if (Array.isArray(uriOrEntries)) {
            for (const [uri, entry] of uriOrEntries) {
                this.set(uri, entry);
            }
            return;
        }
        if (diagnostics === undefined || diagnostics.length === 0) {
            this.entries.delete(uriOrEntries.toString());
        } else {
            this.entries.set(uriOrEntries.toString(), diagnostics);
        }
    }
    get(uri) {
        return this.entries.get(uri.toString());
    }
    has(uri) {
        return this.entries.has(uri.toString());
    }
    delete(uri) {
        this.entries.delete(uri.toString());
    }
    clear() {
        this.entries.clear();
    }
    forEach(callback) {
        for (const [uri, diagnostics] of this.entries) {
            callback(Uri.parse(uri), diagnostics, this);
        }
    }
    dispose() {
        this.clear();
        testing.diagnosticCollections = testing.diagnosticCollections.filter((c) => c !== this);
    }
}

class TextDocument {
    constructor(uri, text) {
        this.uri = uri;
        this.fileName = uri.fsPath;
        this.languageId = 'yaml';
        this.version = 1;
        this.text = text;
        this.isClosed = false;
        this.isDirty = false;
        this.isUntitled = false;
        this.eol = EndOfLine.LF;
    }
    getText() {
        return this.text;
    }
    get lineCount() {
        return this.text.split('\n').length;
    }
}

class TabInputText {
    constructor(uri) {
        this.uri = uri;
    }
}

const events = {
    open: new EventEmitter(),
    close: new EventEmitter(),
    change: new EventEmitter(),
    save: new EventEmitter(),
    willSave: new EventEmitter(),
    configuration: new EventEmitter(),
    folders: new EventEmitter(),
    activeEditor: new EventEmitter(),
    visibleEditors: new EventEmitter(),
    tabs: new EventEmitter(),
    tabGroups: new EventEmitter(),
};

const documents = [];
const tabGroup = { tabs: [], isActive: true, viewColumn: 1, activeTab: undefined };

function configuration(section) {
    const full = (key) => (section ? `${section}.${key}` : key);
    const stella = (key) => {
        const name = full(key);
        return name.startsWith('stella.') ? name.slice('stella.'.length) : undefined;
    };
    return {
        get(key, fallback) {
            const name = stella(key);
            const entry = name === undefined ? undefined : testing.settings.get(name);
            return entry?.workspaceValue ?? entry?.globalValue ?? fallback;
        },
        has(key) {
            return stella(key) !== undefined && testing.settings.has(stella(key));
        },
        inspect(key) {
            const name = stella(key);
            const entry = name === undefined ? undefined : testing.settings.get(name);
            return { key: full(key), ...entry };
        },
        update() {
            return Promise.resolve();
        },
    };
}

/** Whether a document matches one entry of a document selector. */
function matchesFilter(filter, document) {
    if (typeof filter === 'string') {
        return filter === '*' || filter === document.languageId;
    }
    if (filter.language !== undefined && filter.language !== document.languageId) {
        return false;
    }
    if (
        filter.scheme !== undefined &&
        filter.scheme !== '*' &&
        filter.scheme !== document.uri.scheme
    ) {
        return false;
    }
    if (filter.pattern !== undefined) {
        const pattern =
            typeof filter.pattern === 'string' ? filter.pattern : filter.pattern.pattern;
        return globRegExp(pattern).test(document.uri.path);
    }
    return true;
}

/** A glob with `**`, `*`, `?` and `{a,b}` as a regular expression on a whole path. */
function globRegExp(glob) {
    let source = '';
    for (let index = 0; index < glob.length; index += 1) {
        const char = glob[index];
        if (glob.startsWith('**/', index)) {
            source += '(?:.*/)?';
            index += 2;
        } else if (glob.startsWith('**', index)) {
            source += '.*';
            index += 1;
        } else if (char === '*') {
            source += '[^/]*';
        } else if (char === '?') {
            source += '[^/]';
        } else if (char === '{') {
            source += '(?:';
        } else if (char === '}') {
            source += ')';
        } else if (char === ',') {
            source += '|';
        } else {
            source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
        }
    }
    return new RegExp(`^/?${source}$`);
}

const workspace = {
    get workspaceFolders() {
        return testing.folder === undefined
            ? undefined
            : [
                  {
                      uri: Uri.file(testing.folder),
                      name: nodePath.basename(testing.folder),
                      index: 0,
                  },
              ];
    },
    get textDocuments() {
        return documents.filter((document) => !document.isClosed);
    },
    notebookDocuments: [],
    get isTrusted() {
        return testing.trusted;
    },
    getConfiguration: configuration,
    onDidChangeConfiguration: events.configuration.event,
    onDidOpenTextDocument: events.open.event,
    onDidCloseTextDocument: events.close.event,
    onDidChangeTextDocument: events.change.event,
    onDidSaveTextDocument: events.save.event,
    onWillSaveTextDocument: events.willSave.event,
    onDidChangeWorkspaceFolders: events.folders.event,
    async openTextDocument(uri) {
        const found = documents.find((d) => !d.isClosed && d.uri.toString() === uri.toString());
        if (found !== undefined) {
            return found;
        }
        const document = new TextDocument(uri, fs.readFileSync(uri.fsPath, 'utf8'));
        documents.push(document);
        events.open.fire(document);
        return document;
    },
    async findFiles() {
        return testing.files.map((file) => Uri.file(file));
    },
    asRelativePath(uri) {
        const path = typeof uri === 'string' ? uri : uri.fsPath;
        return testing.folder === undefined ? path : nodePath.relative(testing.folder, path);
    },
    createFileSystemWatcher() {
        const never = new EventEmitter().event;
        return { onDidCreate: never, onDidChange: never, onDidDelete: never, dispose() {} };
    },
    async applyEdit() {
        return false;
    },
};

const window = {
    activeTextEditor: undefined,
    visibleTextEditors: [],
    tabGroups: {
        get all() {
            return [tabGroup];
        },
        get activeTabGroup() {
            return tabGroup;
        },
        onDidChangeTabs: events.tabs.event,
        onDidChangeTabGroups: events.tabGroups.event,
    },
    onDidChangeActiveTextEditor: events.activeEditor.event,
    onDidChangeVisibleTextEditors: events.visibleEditors.event,
    createOutputChannel(name, options) {
        return new OutputChannel(name, typeof options === 'object' && options?.log === true);
    },
    createStatusBarItem(alignment, priority) {
        const item = {
            alignment,
            priority,
            text: '',
            tooltip: undefined,
            command: undefined,
            visible: false,
            show() {
                this.visible = true;
            },
            hide() {
                this.visible = false;
            },
            dispose() {
                this.visible = false;
            },
        };
        testing.statusBarItems.push(item);
        return item;
    },
    registerTreeDataProvider(id, provider) {
        testing.treeProviders.set(id, provider);
        return new Disposable(() => testing.treeProviders.delete(id));
    },
    async showQuickPick(items, options) {
        const resolved = await items;
        testing.quickPicks.push({ items: resolved, options });
        return testing.quickPick(resolved, options);
    },
    async showInputBox(options) {
        testing.inputBoxes.push(options);
        return testing.inputBox(options);
    },
    async showTextDocument(document) {
        return { document };
    },
    async withProgress(_options, task) {
        return task({ report() {} }, new CancellationTokenSource().token);
    },
};
for (const [method, severity] of [
    ['showInformationMessage', 'info'],
    ['showWarningMessage', 'warning'],
    ['showErrorMessage', 'error'],
]) {
    window[method] = async (message, ...rest) => {
        const items = rest.filter((item) => typeof item === 'string' || (item && 'title' in item));
        testing.messages.push({ severity, message, items });
        return testing.messageAnswer(severity, message, items);
    };
}

const languages = {
    match(selector, document) {
        const filters = Array.isArray(selector) ? selector : [selector];
        return filters.some((filter) => matchesFilter(filter, document)) ? 10 : 0;
    },
    createDiagnosticCollection(name) {
        return new DiagnosticCollection(name);
    },
};
// Every feature the client registers with the editor (hover, completion, ...) is accepted
// and does nothing; the tests drive the server through diagnostics and commands.
const languagesProxy = new Proxy(languages, {
    get(target, property) {
        if (property in target) {
            return target[property];
        }
        if (typeof property === 'string' && property.startsWith('register')) {
            return () => new Disposable(() => {});
        }
        return undefined;
    },
});

const commands = {
    registerCommand(id, callback) {
        if (testing.commands.has(id)) {
            throw new Error(`command '${id}' already exists`);
        }
        testing.commands.set(id, callback);
        return new Disposable(() => testing.commands.delete(id));
    },
    async executeCommand(id, ...args) {
        const callback = testing.commands.get(id);
        if (callback === undefined) {
            throw new Error(`command '${id}' not found`);
        }
        return callback(...args);
    },
};

/** Opens `path` as a test would in the editor: a document, a tab and the active editor. */
testing.open = async (path) => {
    const uri = Uri.file(path);
    const document = await workspace.openTextDocument(uri);
    const editor = { document, selection: new Range(0, 0, 0, 0), viewColumn: 1 };
    tabGroup.tabs.push({
        input: new TabInputText(uri),
        label: nodePath.basename(path),
        group: tabGroup,
    });
    window.activeTextEditor = editor;
    window.visibleTextEditors = [...window.visibleTextEditors, editor];
    events.tabs.fire({ opened: [tabGroup.tabs.at(-1)], closed: [], changed: [] });
    events.visibleEditors.fire(window.visibleTextEditors);
    events.activeEditor.fire(editor);
    return document;
};

/** Fires a configuration change of the `stella.*` keys given. */
testing.changeSettings = (changes) => {
    for (const [key, entry] of Object.entries(changes)) {
        testing.settings.set(key, entry);
    }
    const keys = Object.keys(changes).map((key) => `stella.${key}`);
    events.configuration.fire({
        affectsConfiguration: (section) =>
            keys.some((key) => key === section || key.startsWith(`${section}.`)),
    });
};

module.exports = {
    testing,
    version: '1.91.0',
    env: {
        appName: 'Visual Studio Code (stub)',
        language: 'en',
        machineId: 'test',
        async openExternal(uri) {
            testing.external.push(uri.toString());
            return true;
        },
    },
    workspace,
    window,
    languages: languagesProxy,
    commands,
    extensions: { getExtension: () => undefined, all: [] },
    Disposable,
    EventEmitter,
    CancellationTokenSource,
    CancellationError,
    Uri,
    Position,
    Range,
    Location,
    Diagnostic,
    DiagnosticRelatedInformation,
    DiagnosticSeverity,
    DiagnosticTag,
    TreeItem,
    TreeItemCollapsibleState,
    StatusBarAlignment,
    ProgressLocation,
    LogLevel,
    FileType,
    EndOfLine,
    TextDocumentSaveReason,
    ConfigurationTarget,
    MarkdownString,
    CodeLens,
    CompletionItem,
    CodeAction,
    DocumentLink,
    InlayHint,
    SymbolInformation,
    CallHierarchyItem,
    TypeHierarchyItem,
    TabInputText,
    CodeActionKind,
    RelativePattern: class RelativePattern {
        constructor(base, pattern) {
            this.base = base;
            this.pattern = pattern;
        }
    },
};

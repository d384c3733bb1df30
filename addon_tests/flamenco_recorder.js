// Runs a Flamenco job type script the way Flamenco Manager does -- the script's top level, then
// compileJob(job) -- against a recorder of Flamenco's authoring API (author.Task, author.Command,
// task.addCommand, task.addDependency, job.addTask), and prints what it authored as JSON:
//
//     node flamenco_recorder.js JOB_TYPE_SCRIPT.js '{"frame_start": 1, ...}'
//
// -> {"jobType": JOB_TYPE, "tasks": [{"name", "type", "commands": [{"type", "parameters"}],
//     "dependencies": [task names]}]}   or   {"error": "message"} when compileJob throws.
"use strict";

const fs = require("fs");
const vm = require("vm");

const [scriptPath, settingsText] = process.argv.slice(2);
const authored = [];

const author = {
    Task(name, type) {
        if (typeof name !== "string" || !name) throw new TypeError("author.Task needs a name");
        const task = {
            name: name, type: type, commands: [], dependencies: [],
            addCommand(command) { this.commands.push(command); },
            addDependency(other) { this.dependencies.push(other); },
        };
        return task;
    },
    Command(type, parameters) {
        if (typeof type !== "string") throw new TypeError("author.Command needs a command type");
        return { type: type, parameters: JSON.parse(JSON.stringify(parameters)) };
    },
};

const job = {
    settings: JSON.parse(settingsText),
    addTask(task) { authored.push(task); },
};

const sandbox = { author: author, print: () => {}, console: console };
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(scriptPath, "utf8") + "\n;globalThis.JOB_TYPE = JOB_TYPE;", sandbox,
                { filename: scriptPath });

let result;
try {
    sandbox.compileJob(job);
    result = {
        jobType: sandbox.JOB_TYPE,
        tasks: authored.map((task) => ({
            name: task.name, type: task.type, commands: task.commands,
            dependencies: task.dependencies.map((other) => other.name),
        })),
    };
} catch (error) {
    result = { error: String(error && error.message ? error.message : error) };
}
process.stdout.write(JSON.stringify(result));

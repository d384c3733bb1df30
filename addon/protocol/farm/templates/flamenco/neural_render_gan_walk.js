// Neural Render: GAN Texture Walk -- a Flamenco job type. Written by the Neural Render extension
// from its job spec (protocol/farm/flamenco.py); regenerate rather than edit.

const JOB_TYPE = {
    "label": "Neural Render: GAN Texture Walk",
    "description": "An animated latent walk through a GAN model's textures (frame indices from 0); every frame depends only on its index, so any chunking gives identical files",
    "settings": [
        {
            "key": "python",
            "type": "string",
            "default": "python3",
            "required": true,
            "label": "Python",
            "description": "The Python with torch that runs neural-render on the workers (a Flamenco variable such as {neural_render_python} maps it per platform)"
        },
        {
            "key": "neural_render_cli",
            "type": "string",
            "subtype": "file_path",
            "required": true,
            "label": "neural-render",
            "description": "The neural-render command-line script on the workers"
        },
        {
            "key": "model",
            "label": "Model",
            "description": "Model file from gan-train",
            "type": "string",
            "subtype": "file_path",
            "required": true
        },
        {
            "key": "width",
            "label": "Width",
            "description": "Texture width",
            "type": "int32",
            "default": 1024
        },
        {
            "key": "height",
            "label": "Height",
            "description": "Texture height",
            "type": "int32",
            "default": 1024
        },
        {
            "key": "count",
            "label": "Count",
            "description": "Seeds the walk passes through (2 or more)",
            "type": "int32",
            "default": 2
        },
        {
            "key": "walk_frames",
            "label": "Walk frames",
            "description": "An animated latent walk through COUNT seeds, this many frames between seeds (0: none)",
            "type": "int32",
            "default": 24
        },
        {
            "key": "seed",
            "label": "Seed",
            "description": "Seed of the first texture; more get SEED+1, SEED+2, ...",
            "type": "int32",
            "default": 0
        },
        {
            "key": "tileable",
            "label": "Tileable",
            "description": "Seamlessly tileable output (exemplar models)",
            "type": "bool",
            "default": true
        },
        {
            "key": "variation",
            "label": "Variation",
            "description": "How far a seed may move the overall colour and brightness from the exemplar's (exemplar models): 0 keeps the exemplar's look, seeds differ in layout; 1 the full range the model learned",
            "type": "float",
            "default": 0.0
        },
        {
            "key": "frame_start",
            "type": "int32",
            "default": 0,
            "required": true,
            "label": "Frame start",
            "description": "The first frame of the shot"
        },
        {
            "key": "frame_end",
            "type": "int32",
            "required": true,
            "label": "Frame end",
            "description": "The last frame of the shot"
        },
        {
            "key": "chunk_size",
            "type": "int32",
            "default": 24,
            "label": "Chunk size",
            "description": "Frames per task"
        },
        {
            "key": "output_dir",
            "type": "string",
            "subtype": "dir_path",
            "required": true,
            "label": "Output folder",
            "description": "Where the frames go (created if missing)"
        },
        {
            "key": "output_name",
            "type": "string",
            "default": "walk.exr",
            "label": "Output name",
            "description": "The frames' file name; #### is the frame number"
        }
    ]
};

const NEURAL_RENDER = {
    "subcommand": "gan-generate",
    "inputs": [
        {
            "key": "model",
            "words": [
                "--model",
                "{value}"
            ]
        }
    ],
    "options": [
        {
            "key": "width",
            "words": [
                "--size",
                "{value}"
            ]
        },
        {
            "key": "height",
            "words": [
                "{value}"
            ]
        },
        {
            "key": "count",
            "words": [
                "--count",
                "{value}"
            ]
        },
        {
            "key": "walk_frames",
            "words": [
                "--walk",
                "{value}"
            ]
        },
        {
            "key": "seed",
            "words": [
                "--seed",
                "{value}"
            ]
        },
        {
            "key": "tileable",
            "switch": [
                "--tileable",
                "--no-tileable"
            ]
        },
        {
            "key": "variation",
            "words": [
                "--variation",
                "{value}"
            ]
        }
    ],
    "warmup": null
};

// How every Neural Render job type compiles (flamenco.py puts JOB_TYPE and NEURAL_RENDER above this):
// the frame range is cut into chunks of `chunk_size` frames, one task each, running one `exec` command
// `python neural-render SUBCOMMAND ... --range A-B`. The tasks have no dependencies: a stylize chunk
// re-stylizes up to `warmup` frames before its first (never before frame_start) as history, so chunks
// run in any order on any worker, and a re-queued task skips the frames it already wrote.

function frameChunks(first, last, size) {
    const chunks = [];
    for (let start = first; start <= last; start += size) {
        chunks.push([start, Math.min(start + size - 1, last)]);
    }
    return chunks;
}

function settingWords(option, value) {
    if (option.switch) {
        return [value ? option.switch[0] : option.switch[1]];
    }
    return option.words.map((word) => word.split("{value}").join(String(value)));
}

function checkSettings(settings) {
    const whole = (name) => Number.isInteger(settings[name]);
    if (!whole("frame_start") || !whole("frame_end") || settings.frame_end < settings.frame_start) {
        throw new Error(`frames ${settings.frame_start}-${settings.frame_end}: the end must be a whole number `
                        + "at or after the start");
    }
    if (!whole("chunk_size") || settings.chunk_size < 1) {
        throw new Error(`chunk_size must be 1 or more, got ${settings.chunk_size}`);
    }
    for (const option of NEURAL_RENDER.options.concat(NEURAL_RENDER.inputs)) {
        if (settings[option.key] === undefined || settings[option.key] === "") {
            throw new Error(`the setting ${option.key} is missing`);
        }
    }
}

function chunkCommand(settings, first, last, warmup) {
    let args = [settings.neural_render_cli, NEURAL_RENDER.subcommand];
    for (const option of NEURAL_RENDER.inputs.concat(NEURAL_RENDER.options)) {
        args = args.concat(settingWords(option, settings[option.key]));
    }
    if (NEURAL_RENDER.warmup) {
        args.push(NEURAL_RENDER.warmup.flag, String(warmup), "--shot-start", String(settings.frame_start));
    }
    const output = settings.output_dir.replace(/[\\/]+$/, "") + "/" + settings.output_name;
    args.push("--range", `${first}-${last}`, "--out", output);
    return author.Command("exec", { exe: settings.python, args: args });
}

function compileJob(job) {
    const settings = job.settings;
    checkSettings(settings);
    for (const [first, last] of frameChunks(settings.frame_start, settings.frame_end, settings.chunk_size)) {
        // The warm-up overlap: frames before this chunk, within the shot, re-stylized and discarded.
        const warmup = NEURAL_RENDER.warmup ? Math.min(settings[NEURAL_RENDER.warmup.key], first - settings.frame_start) : 0;
        const name = `${NEURAL_RENDER.subcommand} ${first}-${last}` + (warmup ? ` (warm-up from ${first - warmup})` : "");
        const task = author.Task(name, "misc");
        task.addCommand(chunkCommand(settings, first, last, warmup));
        job.addTask(task);
    }
}

// Neural Render: Relight Image Sequence -- a Flamenco job type. Written by the Neural Render extension
// from its job spec (protocol/farm/flamenco.py); regenerate rather than edit.

const JOB_TYPE = {
    "label": "Neural Render: Relight Image Sequence",
    "description": "Relight one image (a plate, a product shot) with the learned relighting under a world animated frame by frame (rotation and strength from a JSON or CSV file); every frame is independent, so any chunking gives identical files",
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
            "key": "image",
            "label": "Image",
            "description": "The image to relight (its alpha is the subject's matte)",
            "type": "string",
            "subtype": "file_path",
            "required": true
        },
        {
            "key": "world",
            "label": "World",
            "description": "Equirectangular environment image",
            "type": "string",
            "subtype": "file_path",
            "required": true
        },
        {
            "key": "world_animation",
            "label": "World animation",
            "description": "Per-frame world rotation (degrees about Z) and strength: JSON [{frame, rotation, strength}] or CSV frame,rotation[,strength]",
            "type": "string",
            "subtype": "file_path",
            "required": true
        },
        {
            "key": "strength",
            "label": "Strength",
            "description": "The world's Background strength",
            "type": "float",
            "default": 1.0
        },
        {
            "key": "background",
            "label": "Background",
            "description": "What becomes of the image outside the matte",
            "type": "string",
            "choices": [
                "keep",
                "world",
                "transparent"
            ],
            "default": "keep"
        },
        {
            "key": "network_side",
            "label": "Network side",
            "description": "The side the network runs at; the predicted shading is carried to full size by a guided upsampling, so detail survives",
            "type": "int32",
            "default": 128
        },
        {
            "key": "frame_start",
            "type": "int32",
            "default": 1,
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
            "default": "frame_####.exr",
            "label": "Output name",
            "description": "The frames' file name; #### is the frame number"
        }
    ]
};

const NEURAL_RENDER = {
    "subcommand": "relight-image-sequence",
    "inputs": [
        {
            "key": "image",
            "words": [
                "--in",
                "{value}"
            ]
        },
        {
            "key": "world",
            "words": [
                "--world",
                "{value}"
            ]
        },
        {
            "key": "world_animation",
            "words": [
                "--animation",
                "{value}"
            ]
        }
    ],
    "options": [
        {
            "key": "strength",
            "words": [
                "--strength",
                "{value}"
            ]
        },
        {
            "key": "background",
            "words": [
                "--background",
                "{value}"
            ]
        },
        {
            "key": "network_side",
            "words": [
                "--network-side",
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

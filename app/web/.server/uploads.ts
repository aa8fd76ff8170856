import { type FileUploadHandler, parseFormData } from "@mjackson/form-data-parser";

type ParseFormDataOptions = Exclude<Parameters<typeof parseFormData>[1], FileUploadHandler | undefined>;

/**
 * The request's body with its last `keep` bytes held back and sent together at
 * the end. The multipart parser (0.10, and its successor 0.16) refuses a body
 * whose closing CRLF arrives on its own after the final boundary ("Unexpected
 * data after end of stream"), which a slow network may do; holding back a few
 * bytes always delivers the close delimiter and its CRLF in one piece.
 */
function holdBackTail(body: ReadableStream<Uint8Array>, keep: number): ReadableStream<Uint8Array> {
  let tail = new Uint8Array(0);
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const all = new Uint8Array(tail.length + chunk.length);
        all.set(tail);
        all.set(chunk, tail.length);
        if (all.length <= keep) {
          tail = all;
          return;
        }
        controller.enqueue(all.subarray(0, all.length - keep));
        tail = all.slice(all.length - keep);
      },
      flush(controller) {
        if (tail.length > 0) controller.enqueue(tail);
      },
    }),
  );
}

/**
 * A `multipart/form-data` body read with the streaming parser React Router's
 * "File Uploads" guide recommends: parts are parsed as the body arrives, and a
 * file larger than `maxFileSize` is refused mid-stream (`MaxFileSizeExceededError`).
 */
export function parseMultipartForm(
  request: Request,
  options: ParseFormDataOptions,
  uploadHandler: FileUploadHandler,
): Promise<FormData> {
  const body = request.body ? holdBackTail(request.body, 8) : null;
  const steady = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    duplex: "half",
  } as RequestInit);
  return parseFormData(steady, options, uploadHandler);
}

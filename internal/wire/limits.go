package wire

// MaxDocumentBytes is the largest payload a format decoder reads: no agency
// story comes near it, and refusing bigger input before parsing bounds the
// memory and time one bad delivery can cost.
const MaxDocumentBytes = 64 << 20 // 64 MiB

package hand

// RenderVersion names the strokes this renderer draws (layout, variation, joins, and the embedded
// faces it draws them with). The same request gives the same strokes under one version; any change
// that moves a single point of any card's strokes must bump it, and TestRenderVersion fails until it
// is bumped. A card keeps the version it was accepted (and proofed) under, so that after an upgrade
// a card whose proof the new engine no longer draws is held for re-approval instead of written.
const RenderVersion = 1

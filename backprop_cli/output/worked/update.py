"""The last two sections of a worked solution, the update and the answers: a mixin of
worked._Outline, whose helpers (add, par, eq, mat, bias, num, frozen, ...) it uses."""

from __future__ import annotations

from backprop_cli.output.worked import formulas as rules
from backprop_cli.output.worked import tex
from backprop_cli.output.worked.tex import Math, as_rows


class UpdateSections:
    def update(self):
        up = self.doc["update"]
        opt = up["optimizer"]
        self.add("section", f"Step 4: Update with {opt['name']}")
        plain_sgd = opt["name"] == "sgd" and not opt.get("momentum") and \
            not opt.get("weight_decay") and not opt.get("maximize")
        if plain_sgd:
            self.par("Gradient descent: ",
                     Math(r"\theta \leftarrow \theta - \eta \cdot \partial L / \partial \theta"),
                     ", with ",
                     Math(rf"\eta = {tex.plain(opt['lr'])}"), ".")
        else:
            self.par(f"The {opt['name']} rule (torch.optim's), for each trainable parameter ",
                     Math(r"\theta"), " with gradient ", Math(r"g = \partial L / \partial \theta"),
                     " at step t:")
            self.eq(*rules.rule_steps(opt))
            self.par("Settings: ", *rules.settings(opt))
        for name, new in up["parameters"].items():
            l, is_w = name[1:], name.startswith("W")
            sym = f"{name[0]}_{{{l}}}"
            show = self.mat if is_w else self.bias
            new = as_rows(new) if is_w else new
            if self.frozen(name):
                self.eq((sym, "=", [show(new), r"\quad \text{(frozen: unchanged)}"]))
            elif plain_sgd:
                old = self.file_w(int(l)) if is_w else self.p.params[name]
                grad = as_rows(self.doc["gradients"][name]) if is_w else self.doc["gradients"][name]
                self.eq((sym, r"\leftarrow", [rf"{sym} - \eta {self.d(name[0], l)}"]),
                        (None, "=", [show(old), (rf"- {tex.plain(opt['lr'])} \cdot", show(grad))]),
                        (None, "=", [show(new)]))
            else:
                self.eq((sym, r"\leftarrow", [show(new)]))
        for name, entry_ in up["state"].items():
            show = self.mat if name.startswith("W") else self.bias
            self.par("State of ", Math(f"{name[0]}_{{{name[1:]}}}"), " after the update:")
            cells = [str(v) if isinstance(v, int) else show(as_rows(v) if name[0] == "W" else v)
                     for v in entry_.values()]
            self.eq(*[(rf"\mathrm{{{key.replace('_', chr(92) + '_')}}}", "=", [cell])
                      for key, cell in zip(entry_, cells)])
        self.par("Loss after the update (the same inputs through the new parameters): ",
                 Math(rf"L = {self.num(up['loss'])}"))

    def answers(self):
        self.add("section", "Answers")
        count, trainable = self.doc["parameters"], self.doc["trainable"]
        rows = [(["Learnable parameters"], str(count) + (f" ({trainable} trainable)"
                                                         if trainable != count else ""))]
        for l in range(1, self.L + 1):
            for q in ("a", "h"):
                rows.append((["Sum of ", Math(self.s(q, l))],
                             self.num(self.doc["sums"][f"{q}{l}"])))
        rows.append((["Loss ", Math("L")], self.num(self.doc["loss"])))
        rows.append(([Math(rf"\partial L / \partial {self.s('a', self.L)}")],
                     tex.tuple_text(self.grad(f"a{self.L}"), self.num)))
        for l in range(self.L, 0, -1):
            if f"b{l}" in self.doc["gradients"]:
                rows.append(([Math(rf"\partial L / \partial b_{{{l}}}")],
                             tex.tuple_text(as_rows(self.doc["gradients"][f"b{l}"]), self.num)))
        rows.append((["Loss after the update"], self.num(self.doc["update"]["loss"])))
        self.add("answers", rows)

/*
 * Minimal Cortex-M4 startup for bare-metal tests and benchmarks (qemu mps2-an386 or a board):
 * the vector table, .data copy, .bss clear, newlib semihosting I/O, main(), exit().
 * Link with mps2_an386.ld, `--specs=rdimon.specs -nostartfiles -lrdimon`: rdimon gives printf and
 * exit() over ARM semihosting (qemu: -semihosting), and -nostartfiles drops newlib's crt0, which
 * has no M-profile vector table.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;
extern uint32_t __stack_top;
extern int main(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void Default_Handler(void);
void _init(void);
void _fini(void);

/* -nostartfiles also drops crti.o, which would provide these for newlib's init/fini arrays. */
void _init(void) {}
void _fini(void) {}

void Default_Handler(void)
{
    /* A fault: leave through semihosting so a test does not hang until its timeout. */
    exit(99);
}

void Reset_Handler(void)
{
    uint32_t *src = &__data_load__, *dst = &__data_start__;
    while (dst < &__data_end__) *dst++ = *src++;
    for (dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
    initialise_monitor_handles();
    exit(main());
}

/* Initial SP, reset, then NMI, HardFault, MemManage, BusFault, UsageFault. */
__attribute__((section(".vectors"), used)) void (*const dsg_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    Reset_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
};
